/* phedex db init|upgrade|status|grant-reader ROLE|grant-site NODE [--role R]|
 * grant-manager ROLE|roles */
#include "cli-json.h"
#include <string.h>

/* grant-site, grant-manager: make or update the role (idempotent), say what
 * it may do. */
static gboolean
grant (PxCli *cli, const char *kind, const char *node, const char *role, GError **error)
{
  if (!px_tmdb_check_schema (cli->db, error))
    return FALSE;
  g_autoptr(PxRows) r = node ? px_tmdb_query (cli->db, px_sql_security_grant_site, error, PX_TEXT (node), PX_TEXT (role))
                             : px_tmdb_query (cli->db, px_sql_security_grant_manager, error, PX_TEXT (role));
  if (!r)
    {
      g_prefix_error (error, "cannot make '%s' a %s role%s%s (run this as the TMDB's owner): ", role, kind,
                      node ? " of " : "", node ? node : "");
      return FALSE;
    }
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "role", role);
      px_json_string (&j, "kind", kind);
      px_json_string (&j, "node", node);
      px_json_end (&j);
      px_json_print (&j);
    }
  else if (node)
    printf ("role '%s' is the site role of %s: its agents may claim and report only tasks into %s, write only %s's "
            "replicas, deletions, requests and agents; set it as the user in [site] db of %s's site.conf "
            "(password: a passfile or ~/.pgpass, or a pg_hba cert/peer rule)\n", role, node, node, node, node);
  else
    printf ("role '%s' is a data-manager role: inject, subscribe, delete, node and link admin; every such action "
            "is recorded in the audit log (phedex audit)\n", role);
  return TRUE;
}

static gboolean
roles (PxCli *cli, GError **error)
{
  static const PxTableColumn columns[] = {
    { "role", "ROLE", PX_TABLE_TEXT }, { "kind", "KIND", PX_TABLE_TEXT }, { "node", "NODE", PX_TABLE_TEXT },
    { "login", "LOGIN", PX_TABLE_BOOL }, { "created", "GRANTED", PX_TABLE_TEXT }, { NULL }
  };
  if (!px_tmdb_check_schema (cli->db, error))
    return FALSE;
  g_autoptr(PxRows) r = px_tmdb_query0 (cli->db, px_sql_security_roles, error);
  if (!r)
    return FALSE;
  if (!cli->json && px_rows_count (r) == 0)
    {
      printf ("no roles granted yet (phedex db grant-site NODE, grant-manager ROLE, grant-reader ROLE)\n");
      return TRUE;
    }
  g_autoptr(PxTable) t = px_table_new (columns);
  px_table_add_rows (t, r);
  px_table_print (t, cli->json);
  return TRUE;
}

gboolean
px_cmd_db (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *role = NULL;
  GOptionEntry entries[] = {
    { "role", 'r', 0, G_OPTION_ARG_STRING, &role, "grant-site: the site's login role (default: the node's name "
      "in lower case)", "ROLE" },
    PX_CLI_JSON_ENTRY (cli, "JSON output"), { NULL }
  };
  if (!px_cli_parse (cli, "init|upgrade|status|grant-reader ROLE|grant-site NODE|grant-manager ROLE|roles",
                     "Create (init), migrate (upgrade) or describe (status) the TMDB schema; as the TMDB's owner, "
                     "make login roles that PostgreSQL itself limits: grant-reader (may only read; phedex-webmon), "
                     "grant-site (a site's agents: only that node's work), grant-manager (data managers; their "
                     "actions are audited); roles lists them. Each grant may be run again (after an upgrade, too).",
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc >= 2 && strcmp (argv[1], "grant-site") == 0)
    {
      if (argc != 3 || !*argv[2])
        return px_cli_usage (cli, error, "say grant-site NODE [--role ROLE]");
      g_autofree char *def = g_ascii_strdown (argv[2], -1);
      return grant (cli, "site", argv[2], role ? role : def, error);
    }
  if (argc >= 2 && strcmp (argv[1], "grant-manager") == 0)
    {
      if (argc != 3 || !*argv[2])
        return px_cli_usage (cli, error, "say grant-manager ROLE");
      return grant (cli, "manager", NULL, argv[2], error);
    }
  if (argc == 2 && strcmp (argv[1], "roles") == 0)
    return roles (cli, error);
  if (argc >= 2 && strcmp (argv[1], "grant-reader") == 0)
    {
      if (argc != 3 || !*argv[2])
        return px_cli_usage (cli, error, "say grant-reader ROLE");
      if (!px_tmdb_check_schema (cli->db, error))
        return FALSE;
      g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_webmon_grant_reader, error, PX_TEXT (argv[2]));
      if (!r)
        {
          g_prefix_error (error, "cannot grant reading to '%s': ", argv[2]);
          return FALSE;
        }
      if (cli->json)
        {
          g_auto(PxJson) j;
          px_json_init (&j, PX_JSON_SPACED);
          px_json_begin_object (&j, NULL);
          px_json_string (&j, "role", argv[2]);
          px_json_bool (&j, "read_only", TRUE);
          px_json_end (&j);
          px_json_print (&j);
        }
      else
        printf ("role '%s' may read the TMDB (SELECT only, read-only sessions); give it a password or a pg_hba rule "
                "and use it in phedex-webmon --db\n", argv[2]);
      return TRUE;
    }
  if (argc != 2 || (strcmp (argv[1], "init") && strcmp (argv[1], "upgrade") && strcmp (argv[1], "status")))
    return px_cli_usage (cli, error, "say init, upgrade, status, grant-reader ROLE, grant-site NODE, "
                         "grant-manager ROLE or roles");
  if (strcmp (argv[1], "status") != 0)
    {
      int from = 0, to = 0;
      if (!px_tmdb_migrate (cli->db, strcmp (argv[1], "upgrade") == 0, &from, &to, error))
        return FALSE;
      if (from == to)
        printf ("schema is at version %d, the latest; nothing to do\n", to);
      else
        printf ("schema migrated from version %d to %d\n", from, to);
      return TRUE;
    }
  int v = 0;
  if (!px_tmdb_schema_version (cli->db, &v, error))
    return FALSE;
  int latest = px_tmdb_schema_latest ();
  /* The counts when the schema is the one this phedex knows. */
  g_autoptr(PxRows) rows = NULL;
  if (v == latest && !(rows = px_tmdb_query0 (cli->db, px_sql_status_counts, error)))
    return FALSE;
  g_auto(GStrv) names = g_strsplit (px_sql_status_counts.columns, ",", -1);
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_int (&j, "version", v);
      px_json_int (&j, "latest", latest);
      for (guint i = 0; rows && names[i]; i++)
        px_json_int (&j, names[i], px_rows_int (rows, 0, names[i]));
      px_json_end (&j);
      px_json_print (&j);
      return TRUE;
    }
  if (v == 0)
    {
      printf ("no phedex schema (this phedex creates version %d with 'phedex db init')\n", latest);
      return TRUE;
    }
  printf ("schema version %d (latest %d)%s\n", v, latest, v < latest ? ": run 'phedex db upgrade'" : "");
  for (guint i = 0; rows && names[i]; i++)
    printf ("  %-14s %s\n", names[i], px_rows_text (rows, 0, names[i]));
  return TRUE;
}
