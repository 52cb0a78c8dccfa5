/* tmdb-statements-security.c — roles and the audit log (phedex db
 * grant-site|grant-manager|roles, phedex audit, the agents' role check).
 * Schema: tmdb/schema/009-security.sql. */
#include "config.h"
#include "tmdb-private.h"

/* Who the connection is: its role, what tmdb_roles says it is (kind,
 * node) and whether row-level security passes it by (superuser, BYPASSRLS
 * or a member of the tables' owner). */
PX_SQL (security_whoami, "role,kind,node,privileged",
    "SELECT current_user::text AS role, r.kind, n.name AS node, "
    "  coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user), false) "
    "  OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'tasks'::regclass), 'MEMBER') "
    "  AS privileged "
    "FROM (SELECT 1) x LEFT JOIN tmdb_roles r ON r.role = current_user LEFT JOIN nodes n ON n.id = r.node");
PX_SQL (security_grant_site, "role", "SELECT px_grant_site($1, $2) AS role");
PX_SQL (security_grant_manager, "role", "SELECT px_grant_manager($1) AS role");
PX_SQL (security_roles, "role,kind,node,login,created",
    "SELECT r.role::text AS role, r.kind, n.name AS node, coalesce(p.rolcanlogin, false) AS login, "
    "  to_char(r.created, 'YYYY-MM-DD HH24:MI:SS') AS created "
    "FROM tmdb_roles r LEFT JOIN nodes n ON n.id = r.node LEFT JOIN pg_roles p ON p.rolname = r.role "
    "ORDER BY r.kind, n.name NULLS FIRST, r.role");

/* ---- audit ---- */
/* $1 action, $2 its arguments (a JSON object); role and time are the
 * database's. */
PX_SQL (audit_add, "id",
    "INSERT INTO audit (action, args) VALUES ($1, $2::jsonb) RETURNING id");
/* The log since $1 (a timestamp, or NULL: everything), oldest first. */
PX_SQL (audit_list, "id,at,role,action,args",
    "SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS TZ') AS at, role, action, args::text AS args FROM audit "
    "WHERE $1::timestamptz IS NULL OR at >= $1::timestamptz ORDER BY id");
