/* tfc.c — storage.xml parsing (libxml2) and rule matching (PCRE2, JIT).
 *
 * The regex engine is PCRE2 used directly: it is the engine GRegex wraps, with
 * the same Perl syntax sites wrote their rules in, but GRegex allocates a
 * GMatchInfo for every match and cannot reuse match data, which costs half the
 * lookup rate.  A mapper owns its match data and scratch strings, so mapping a
 * name allocates nothing once the strings have grown. */
#include "config.h"
#include "tfc.h"
#include "lfn.h"
#include "common/px-common.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

G_DEFINE_QUARK (px-tfc-error-quark, px_tfc_error)

typedef struct
{
  int group;          /* >= 1: a capture group; 0: literal */
  const char *lit;    /* into Rule.result */
  gsize len;
} TplPart;

typedef struct
{
  guint id;           /* index within its direction, file order */
  PxTfcDirection dir;
  int line;
  int proto;          /* index into PxTfc.protocols, -1: no protocol (never reached) */
  int chain;          /* protocol index or -1 */
  char *chain_name;
  pcre2_code *path_match;
  pcre2_code *dest_match; /* NULL: any destination */
  int custodial;      /* -1 either, 0 n, 1 y */
  char *space_token;
  char *result;
  TplPart *parts;
  guint n_parts;
  /* Why a query that reaches this rule fails ("FILE:LINE: RULE: problem"),
   * or NULL.  A catalogue with broken rules loads, as it did in PhEDEx;
   * only the queries that reach one fail. */
  char *broken;
  char *dest_broken;  /* invalid destination-match: fails queries with a destination */
} Rule;

typedef struct
{
  GPtrArray *rules[2]; /* Rule*, not owned, file order */
} Proto;

struct _PxTfc
{
  char *source_name;
  char *text;
  GPtrArray *protocol_names; /* char*, owned */
  GArray *protocols;         /* Proto */
  GPtrArray *rules[2];       /* Rule*, owned */
  GPtrArray *warnings;       /* char*, owned, file order */
  guint max_groups;
};

/* What a mapper does with a rule: its destination or custodial flag rule it
 * out, it is tried, or it fails the query. */
enum
{
  RULE_SKIP = 0,
  RULE_TRY,
  RULE_FAIL,
};

struct _PxTfcMapper
{
  const PxTfc *tfc;
  PxTfcDirection dir;
  int proto;
  guint8 *state;              /* per rule id: RULE_SKIP, RULE_TRY or RULE_FAIL */
  pcre2_match_data *md;
  GString *scratch[PX_TFC_MAX_CHAIN + 2];
};

const char *
px_tfc_direction_name (PxTfcDirection direction)
{
  return direction == PX_TFC_LFN_TO_PFN ? "lfn-to-pfn" : "pfn-to-lfn";
}

static void
rule_free (Rule *r)
{
  if (!r)
    return;
  pcre2_code_free (r->path_match);
  pcre2_code_free (r->dest_match);
  g_free (r->chain_name);
  g_free (r->space_token);
  g_free (r->result);
  g_free (r->parts);
  g_free (r->broken);
  g_free (r->dest_broken);
  g_free (r);
}

void
px_tfc_free (PxTfc *tfc)
{
  if (!tfc)
    return;
  for (guint i = 0; tfc->protocols && i < tfc->protocols->len; i++)
    {
      Proto *p = &g_array_index (tfc->protocols, Proto, i);
      g_ptr_array_unref (p->rules[0]);
      g_ptr_array_unref (p->rules[1]);
    }
  if (tfc->protocols)
    g_array_unref (tfc->protocols);
  if (tfc->protocol_names)
    g_ptr_array_unref (tfc->protocol_names);
  for (int d = 0; d < 2; d++)
    if (tfc->rules[d])
      g_ptr_array_unref (tfc->rules[d]);
  if (tfc->warnings)
    g_ptr_array_unref (tfc->warnings);
  g_free (tfc->source_name);
  g_free (tfc->text);
  g_free (tfc);
}

static int
protocol_index (const PxTfc *tfc, const char *name)
{
  for (guint i = 0; i < tfc->protocol_names->len; i++)
    if (strcmp (g_ptr_array_index (tfc->protocol_names, i), name) == 0)
      return (int) i;
  return -1;
}

static int
protocol_intern (PxTfc *tfc, const char *name)
{
  int i = protocol_index (tfc, name);
  if (i >= 0)
    return i;
  g_ptr_array_add (tfc->protocol_names, g_strdup (name));
  Proto p = { { g_ptr_array_new (), g_ptr_array_new () } };
  g_array_append_val (tfc->protocols, p);
  return (int) tfc->protocol_names->len - 1;
}

static void G_GNUC_PRINTF (2, 3)
warn (PxTfc *tfc, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (tfc->warnings, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

/* "FILE:LINE: lfn-to-pfn rule #N (protocol 'P')": names a rule in messages. */
static char *
rule_name (const PxTfc *tfc, const Rule *r)
{
  if (r->proto < 0)
    return g_strdup_printf ("%s:%d: %s rule #%u", tfc->source_name, r->line, px_tfc_direction_name (r->dir),
                            r->id + 1);
  return g_strdup_printf ("%s:%d: %s rule #%u (protocol '%s')", tfc->source_name, r->line,
                          px_tfc_direction_name (r->dir), r->id + 1,
                          (char *) g_ptr_array_index (tfc->protocol_names, r->proto));
}

/* Record that R cannot work: SLOT (r->broken or r->dest_broken) keeps the
 * first problem for the queries that reach the rule, and every problem is a
 * load warning. */
static void G_GNUC_PRINTF (4, 5)
rule_break (PxTfc *tfc, Rule *r, char **slot, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *who = rule_name (tfc, r);
  char *full = g_strdup_printf ("%s: %s", who, msg);
  warn (tfc, "%s; %s", full,
        slot == &r->dest_broken ? "queries with a destination that reach this rule fail"
                                : "queries that reach this rule fail");
  if (*slot)
    g_free (full);
  else
    *slot = full;
}

static pcre2_code *
compile_regex (const char *pattern, GError **error)
{
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *re = pcre2_compile ((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
  if (!re)
    {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message (errcode, buf, sizeof buf);
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_INVALID, "%s at offset %zu", (char *) buf, (size_t) erroff);
      return NULL;
    }
  /* JIT is an optimisation: where it is unavailable the interpreter is used. */
  (void) pcre2_jit_compile (re, PCRE2_JIT_COMPLETE);
  return re;
}

/* Split RESULT into literal text and $N / ${N} group references, the way
 * Perl interpolates the replacement of s!!!: a backslash quotes the next char. */
static gboolean
parse_result (Rule *r, guint32 n_groups, GError **error)
{
  GArray *parts = g_array_new (FALSE, TRUE, sizeof (TplPart));
  /* Literal runs point into a rewritten copy of the result with escapes removed. */
  const char *src = r->result;
  gsize n = strlen (src);
  char *lit = g_malloc (n + 1);
  gsize o = 0;
  gsize run_start = 0;
  for (gsize i = 0; i < n;)
    {
      if (src[i] == '\\' && i + 1 < n)
        {
          lit[o++] = src[i + 1];
          i += 2;
          continue;
        }
      if (src[i] == '$' && i + 1 < n && (g_ascii_isdigit (src[i + 1]) || src[i + 1] == '{'))
        {
          gsize j = i + 1;
          gboolean braced = src[j] == '{';
          if (braced)
            j++;
          guint64 group = 0;
          gsize digits = 0;
          while (j < n && g_ascii_isdigit (src[j]) && digits < 6)
            group = group * 10 + (guint64) (src[j++] - '0'), digits++;
          if (braced && (j >= n || src[j] != '}' || digits == 0))
            {
              g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_INVALID,
                           "result '%s': unterminated or empty ${...}", r->result);
              goto fail;
            }
          if (braced)
            j++;
          if (digits == 0)
            {
              lit[o++] = src[i++];
              continue;
            }
          if (group == 0 || group > n_groups)
            {
              g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_INVALID,
                           "result '%s' refers to $%" G_GUINT64_FORMAT " but path-match has %u group%s",
                           r->result, group, n_groups, n_groups == 1 ? "" : "s");
              goto fail;
            }
          if (o > run_start)
            {
              TplPart p = { 0, NULL, o - run_start };
              p.lit = (const char *) (gsize) run_start; /* fixed up below */
              g_array_append_val (parts, p);
            }
          TplPart g = { (int) group, NULL, 0 };
          g_array_append_val (parts, g);
          run_start = o;
          i = j;
          continue;
        }
      lit[o++] = src[i++];
    }
  if (o > run_start)
    {
      TplPart p = { 0, (const char *) (gsize) run_start, o - run_start };
      g_array_append_val (parts, p);
    }
  lit[o] = '\0';
  g_free (r->result);
  r->result = lit;
  for (guint k = 0; k < parts->len; k++)
    {
      TplPart *p = &g_array_index (parts, TplPart, k);
      if (p->group == 0)
        p->lit = r->result + (gsize) p->lit;
    }
  r->n_parts = parts->len;
  r->parts = (TplPart *) g_array_free (parts, FALSE);
  return TRUE;

fail:
  g_free (lit);
  g_array_free (parts, TRUE);
  return FALSE;
}

static const char *const known_attrs[] = {
  "protocol", "path-match", "result", "chain", "destination-match", "is-custodial", "space-token", NULL
};

/* A rule as PhEDEx read it: every problem that PhEDEx would ignore (an
 * unknown attribute, a rule without protocol) is a warning, every problem
 * that would make it fail or silently map to a wrong name breaks the rule
 * (rule_break), and only queries that reach it fail. */
static Rule *
parse_rule (PxTfc *tfc, xmlNode *node, PxTfcDirection dir)
{
  Rule *r = g_new0 (Rule, 1);
  r->line = (int) xmlGetLineNo (node);
  r->dir = dir;
  r->chain = -1;
  r->custodial = -1;
  r->proto = -1;
  r->id = tfc->rules[dir]->len;
  g_autofree char *protocol = NULL, *path_match = NULL, *dest = NULL, *cust = NULL;
  g_autoptr(GPtrArray) unknown = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  guint32 n_groups = 0;

  for (xmlAttr *a = node->properties; a; a = a->next)
    {
      const char *an = (const char *) a->name;
      if (!g_strv_contains (known_attrs, an))
        {
          g_ptr_array_add (unknown, g_strdup (an));
          continue;
        }
      xmlChar *v = xmlNodeListGetString (node->doc, a->children, 1);
      char *val = g_strdup (v ? (const char *) v : "");
      xmlFree (v);
      char **slot = strcmp (an, "protocol") == 0            ? &protocol
                    : strcmp (an, "path-match") == 0        ? &path_match
                    : strcmp (an, "result") == 0            ? &r->result
                    : strcmp (an, "chain") == 0             ? &r->chain_name
                    : strcmp (an, "destination-match") == 0 ? &dest
                    : strcmp (an, "is-custodial") == 0      ? &cust
                                                            : &r->space_token;
      g_free (*slot);
      *slot = val;
    }

  if (!protocol || !*protocol)
    {
      /* PhEDEx filed it under an undefined protocol that no query names. */
      g_autofree char *who = rule_name (tfc, r);
      warn (tfc, "%s: %s protocol attribute; the rule is ignored", who, protocol ? "empty" : "missing");
      r->broken = g_strdup_printf ("%s: %s protocol attribute", who, protocol ? "empty" : "missing");
      return r;
    }
  r->proto = protocol_intern (tfc, protocol);
  for (guint i = 0; i < unknown->len; i++)
    {
      g_autofree char *who = rule_name (tfc, r);
      warn (tfc, "%s: unknown attribute '%s' ignored (known: protocol, path-match, result, chain, "
            "destination-match, is-custodial, space-token)", who, (char *) g_ptr_array_index (unknown, i));
    }
  if (!path_match)
    rule_break (tfc, r, &r->broken, "missing path-match attribute");
  if (!r->result)
    rule_break (tfc, r, &r->broken, "missing result attribute");
  if (r->chain_name && !*r->chain_name)
    rule_break (tfc, r, &r->broken, "empty chain attribute");
  /* PhEDEx took an empty is-custodial for an absent one; any other value but
   * y or n matched no query, silently. */
  if (cust && *cust)
    {
      if (strcmp (cust, "y") == 0)
        r->custodial = 1;
      else if (strcmp (cust, "n") == 0)
        r->custodial = 0;
      else
        rule_break (tfc, r, &r->broken, "is-custodial must be 'y' or 'n', not '%s'", cust);
    }
  if (r->space_token && !*r->space_token)
    g_clear_pointer (&r->space_token, g_free);

  if (path_match)
    {
      r->path_match = compile_regex (path_match, &local);
      if (!r->path_match)
        {
          rule_break (tfc, r, &r->broken, "invalid path-match '%s': %s", path_match, local->message);
          g_clear_error (&local);
        }
    }
  if (dest)
    {
      r->dest_match = compile_regex (dest, &local);
      if (!r->dest_match)
        {
          rule_break (tfc, r, &r->dest_broken, "invalid destination-match '%s': %s", dest, local->message);
          g_clear_error (&local);
        }
    }
  if (r->path_match && r->result)
    {
      pcre2_pattern_info (r->path_match, PCRE2_INFO_CAPTURECOUNT, &n_groups);
      tfc->max_groups = MAX (tfc->max_groups, n_groups);
      if (!parse_result (r, n_groups, &local))
        rule_break (tfc, r, &r->broken, "%s", local->message);
    }
  return r;
}

/* Longest chain below protocol P in DIR.  STATE: 0 unseen, 1 on the current
 * path, 2 done (depth in DEPTH).  A rule that closes a loop or would chain
 * deeper than PX_TFC_MAX_CHAIN is broken and no longer counts, so the chains
 * that remain form no loop and are at most PX_TFC_MAX_CHAIN deep. */
static int
chain_depth (PxTfc *tfc, PxTfcDirection dir, int p, guint8 *state, int *depth)
{
  if (state[p] == 2)
    return depth[p];
  state[p] = 1;
  int best = 0;
  GPtrArray *rules = g_array_index (tfc->protocols, Proto, p).rules[dir];
  for (guint i = 0; i < rules->len; i++)
    {
      Rule *r = g_ptr_array_index (rules, i);
      if (r->chain < 0 || r->broken)
        continue;
      if (state[r->chain] == 1)
        {
          rule_break (tfc, r, &r->broken, "chain loop through protocol '%s'", r->chain_name);
          continue;
        }
      int d = chain_depth (tfc, dir, r->chain, state, depth);
      if (d + 1 > PX_TFC_MAX_CHAIN)
        {
          rule_break (tfc, r, &r->broken, "chain through protocol '%s' is %d deep; at most %d is allowed",
                      r->chain_name, d + 1, PX_TFC_MAX_CHAIN);
          continue;
        }
      best = MAX (best, d + 1);
    }
  state[p] = 2;
  depth[p] = best;
  return best;
}

static void
check_chains (PxTfc *tfc)
{
  for (int dir = 0; dir < 2; dir++)
    {
      GPtrArray *rules = tfc->rules[dir];
      for (guint i = 0; i < rules->len; i++)
        {
          Rule *r = g_ptr_array_index (rules, i);
          if (!r->chain_name || !*r->chain_name || r->proto < 0)
            continue;
          int c = protocol_index (tfc, r->chain_name);
          if (c < 0 || g_array_index (tfc->protocols, Proto, c).rules[dir]->len == 0)
            rule_break (tfc, r, &r->broken, "chain to protocol '%s' which has no %s rules", r->chain_name,
                        px_tfc_direction_name (dir));
          else
            r->chain = c;
        }
      guint np = tfc->protocols->len;
      g_autofree guint8 *state = g_new0 (guint8, np);
      g_autofree int *depth = g_new0 (int, np);
      for (guint p = 0; p < np; p++)
        chain_depth (tfc, dir, (int) p, state, depth);
    }
}

PxTfc *
px_tfc_load_data (const char *data, gsize len, const char *name, GError **error)
{
  g_return_val_if_fail (data != NULL, NULL);
  g_autoptr(PxTfc) tfc = g_new0 (PxTfc, 1);
  tfc->source_name = g_strdup (name ? name : "storage.xml");
  tfc->text = g_strndup (data, len);
  tfc->protocol_names = g_ptr_array_new_with_free_func (g_free);
  tfc->protocols = g_array_new (FALSE, TRUE, sizeof (Proto));
  for (int d = 0; d < 2; d++)
    tfc->rules[d] = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  tfc->warnings = g_ptr_array_new_with_free_func (g_free);

  if (len > G_MAXINT)
    {
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_READ, "%s: file too large", tfc->source_name);
      return NULL;
    }
  g_autoptr(xmlParserCtxt) ctxt = xmlNewParserCtxt ();
  g_autoptr(xmlDoc) doc = xmlCtxtReadMemory (ctxt, data, (int) len, tfc->source_name, NULL,
                                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc)
    {
      const xmlError *e = xmlCtxtGetLastError (ctxt);
      g_autofree char *msg = g_strchomp (g_strdup (e && e->message ? e->message : "cannot parse"));
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_XML, "%s:%d: malformed XML: %s", tfc->source_name,
                   e ? e->line : 0, msg);
      return NULL;
    }
  xmlNode *root = xmlDocGetRootElement (doc);
  if (!root || strcmp ((const char *) root->name, "storage-mapping") != 0)
    {
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_INVALID,
                   "%s:%d: root element is <%s>, expected <storage-mapping>", tfc->source_name,
                   root ? (int) xmlGetLineNo (root) : 0, root ? (const char *) root->name : "");
      return NULL;
    }
  for (xmlNode *n = root->children; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      PxTfcDirection dir;
      if (strcmp ((const char *) n->name, "lfn-to-pfn") == 0)
        dir = PX_TFC_LFN_TO_PFN;
      else if (strcmp ((const char *) n->name, "pfn-to-lfn") == 0)
        dir = PX_TFC_PFN_TO_LFN;
      else
        {
          /* PhEDEx read only the elements it knew. */
          warn (tfc, "%s:%d: unknown element <%s> ignored (expected <lfn-to-pfn> or <pfn-to-lfn>)",
                tfc->source_name, (int) xmlGetLineNo (n), (const char *) n->name);
          continue;
        }
      Rule *r = parse_rule (tfc, n, dir);
      g_ptr_array_add (tfc->rules[dir], r);
      if (r->proto >= 0)
        g_ptr_array_add (g_array_index (tfc->protocols, Proto, r->proto).rules[dir], r);
    }
  check_chains (tfc);
  return g_steal_pointer (&tfc);
}

PxTfc *
px_tfc_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_READ, "cannot read '%s': %s", path, local->message);
      return NULL;
    }
  return px_tfc_load_data (data, len, path, error);
}

const char *
px_tfc_get_source_text (const PxTfc *tfc)
{
  return tfc->text;
}

const GPtrArray *
px_tfc_get_warnings (const PxTfc *tfc)
{
  return tfc->warnings;
}

GPtrArray *
px_tfc_list_protocols (const PxTfc *tfc, PxTfcDirection direction)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < tfc->protocols->len; i++)
    if (g_array_index (tfc->protocols, Proto, i).rules[direction]->len > 0)
      g_ptr_array_add (out, g_strdup (g_ptr_array_index (tfc->protocol_names, i)));
  return out;
}

gboolean
px_tfc_has_protocol (const PxTfc *tfc, PxTfcDirection direction, const char *protocol)
{
  int p = protocol_index (tfc, protocol);
  return p >= 0 && g_array_index (tfc->protocols, Proto, p).rules[direction]->len > 0;
}

const char *
px_tfc_pick_protocol (const PxTfc *tfc, const PxTfc *other, const char *const *protocols, GError **error)
{
  for (guint i = 0; protocols && protocols[i]; i++)
    if (px_tfc_has_protocol (tfc, PX_TFC_LFN_TO_PFN, protocols[i])
        && (!other || px_tfc_has_protocol (other, PX_TFC_LFN_TO_PFN, protocols[i])))
      return protocols[i];
  g_autofree char *list = protocols ? g_strjoinv (",", (char **) protocols) : g_strdup ("");
  g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_PROTOCOL, "no protocol of %s (%s) has lfn-to-pfn rules in %s",
               other ? "site.protocols" : "the protocols", list,
               other ? "both catalogues" : "the catalogue");
  return NULL;
}

PxTfcMapper *
px_tfc_mapper_new (const PxTfc *tfc, PxTfcDirection direction, const char *protocol, const char *destination,
                   gboolean custodial, GError **error)
{
  g_return_val_if_fail (tfc && protocol, NULL);
  int p = protocol_index (tfc, protocol);
  if (p < 0 || g_array_index (tfc->protocols, Proto, p).rules[direction]->len == 0)
    {
      g_autoptr(GPtrArray) known = px_tfc_list_protocols (tfc, direction);
      g_ptr_array_add (known, NULL);
      g_autofree char *list = g_strjoinv ("', '", (char **) known->pdata);
      g_autofree char *quoted = known->len > 1 ? g_strdup_printf ("'%s'", list) : g_strdup ("none");
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_PROTOCOL, "%s has no %s rules for protocol '%s' (it has %s)",
                   tfc->source_name, px_tfc_direction_name (direction), protocol, quoted);
      return NULL;
    }
  PxTfcMapper *m = g_new0 (PxTfcMapper, 1);
  m->tfc = tfc;
  m->dir = direction;
  m->proto = p;
  GPtrArray *rules = tfc->rules[direction];
  m->state = g_new0 (guint8, rules->len + 1);
  m->md = pcre2_match_data_create (tfc->max_groups + 1, NULL);
  for (guint i = 0; i < rules->len; i++)
    {
      const Rule *r = g_ptr_array_index (rules, i);
      guint8 st = r->broken ? RULE_FAIL : RULE_TRY;
      if (r->proto < 0 || (r->custodial >= 0 && r->custodial != (custodial ? 1 : 0)))
        st = RULE_SKIP;
      else if (destination && r->dest_broken)
        st = RULE_FAIL;
      else if (destination && r->dest_match
               && pcre2_match (r->dest_match, (PCRE2_SPTR) destination, strlen (destination), 0, 0, m->md, NULL) < 0)
        st = RULE_SKIP;
      m->state[r->id] = st;
    }
  for (int i = 0; i < PX_TFC_MAX_CHAIN + 2; i++)
    m->scratch[i] = g_string_sized_new (256);
  return m;
}

void
px_tfc_mapper_free (PxTfcMapper *m)
{
  if (!m)
    return;
  for (int i = 0; i < PX_TFC_MAX_CHAIN + 2; i++)
    g_string_free (m->scratch[i], TRUE);
  pcre2_match_data_free (m->md);
  g_free (m->state);
  g_free (m);
}

/* OUT = name with the matched span replaced by the expanded result. */
static void
substitute (const Rule *r, const char *name, gsize len, const PCRE2_SIZE *ov, int rc, GString *out)
{
  g_string_truncate (out, 0);
  g_string_append_len (out, name, (gssize) ov[0]);
  for (guint k = 0; k < r->n_parts; k++)
    {
      const TplPart *p = &r->parts[k];
      if (p->group == 0)
        g_string_append_len (out, p->lit, (gssize) p->len);
      else if (p->group < rc && ov[2 * p->group] != PCRE2_UNSET)
        g_string_append_len (out, name + ov[2 * p->group], (gssize) (ov[2 * p->group + 1] - ov[2 * p->group]));
    }
  g_string_append_len (out, name + ov[1], (gssize) (len - ov[1]));
}

/* PhEDEx's applyStorageRules: 1 with OUT and *TOKEN set, 0 when no rule
 * gives a name, -1 with ERROR set when the query reaches a broken rule.
 * TOKEN plays PhEDEx's $space_token: it comes in from the caller, a chain
 * (lfn-to-pfn: before the rule's own path-match) sets it even when the rule
 * then does not match, a chain that gives nothing clears it, and a matching
 * rule's own token replaces it (pfn-to-lfn: before its chain, so the chain's
 * token wins). */
static int
apply (PxTfcMapper *m, int proto, const char *in, gsize inlen, GString *out, const char **token, int depth,
       GError **error)
{
  const PxTfc *tfc = m->tfc;
  GPtrArray *rules = g_array_index (tfc->protocols, Proto, proto).rules[m->dir];
  const char *tok = *token;
  for (guint i = 0; i < rules->len; i++)
    {
      const Rule *r = g_ptr_array_index (rules, i);
      guint8 st = m->state[r->id];
      if (G_UNLIKELY (st != RULE_TRY))
        {
          if (st == RULE_SKIP)
            continue;
          g_set_error_literal (error, PX_TFC_ERROR, PX_TFC_ERROR_RULE, r->broken ? r->broken : r->dest_broken);
          return -1;
        }
      const char *name = in;
      gsize len = inlen;
      if (m->dir == PX_TFC_LFN_TO_PFN && r->chain >= 0)
        {
          GString *tmp = m->scratch[depth];
          int c = apply (m, r->chain, in, inlen, tmp, &tok, depth + 1, error);
          if (c < 0)
            return -1;
          if (c == 0)
            {
              tok = NULL;
              continue;
            }
          name = tmp->str;
          len = tmp->len;
        }
      int rc = pcre2_match (r->path_match, (PCRE2_SPTR) name, len, 0, 0, m->md, NULL);
      if (rc == PCRE2_ERROR_NOMATCH)
        continue;
      if (G_UNLIKELY (rc < 0))
        {
          PCRE2_UCHAR buf[256];
          pcre2_get_error_message (rc, buf, sizeof buf);
          g_autofree char *who = rule_name (tfc, r);
          g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_RULE, "%s: path-match failed on '%s': %s", who, name,
                       (char *) buf);
          return -1;
        }
      if (rc == 0)
        rc = (int) pcre2_get_ovector_count (m->md);
      const PCRE2_SIZE *ov = pcre2_get_ovector_pointer (m->md);
      if (r->space_token)
        tok = r->space_token;
      if (m->dir == PX_TFC_PFN_TO_LFN && r->chain >= 0)
        {
          /* Once the path-match matched, the chain's answer is the answer,
           * even none: no further rule is tried. */
          GString *tmp = m->scratch[depth];
          substitute (r, name, len, ov, rc, tmp);
          int c = apply (m, r->chain, tmp->str, tmp->len, out, &tok, depth + 1, error);
          if (c <= 0)
            return c;
        }
      else
        substitute (r, name, len, ov, rc, out);
      *token = tok;
      return 1;
    }
  return 0;
}

PxTfcResult
px_tfc_mapper_map (PxTfcMapper *m, const char *name, GString *out, const char **space_token, GError **error)
{
  g_return_val_if_fail (m && name && out, PX_TFC_FAILED);
  gsize len = strlen (name);
  if (m->dir == PX_TFC_LFN_TO_PFN && !px_lfn_validate (name, (gssize) len, error))
    return PX_TFC_FAILED;
  const char *tok = NULL;
  int rc = apply (m, m->proto, name, len, out, &tok, 0, error);
  if (rc <= 0)
    return rc < 0 ? PX_TFC_FAILED : PX_TFC_NO_MATCH;
  if (space_token)
    *space_token = tok;
  return PX_TFC_MATCH;
}

char *
px_tfc_map_one (const PxTfc *tfc, PxTfcDirection direction, const char *protocol, const char *destination,
                gboolean custodial, const char *name, char **space_token, GError **error)
{
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, direction, protocol, destination, custodial, error);
  if (!m)
    return NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *tok = NULL;
  switch (px_tfc_mapper_map (m, name, out, &tok, error))
    {
    case PX_TFC_MATCH:
      break;
    case PX_TFC_NO_MATCH:
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_NO_MATCH, "no %s rule of protocol '%s' in %s matches '%s'%s%s",
                   px_tfc_direction_name (direction), protocol, tfc->source_name, name,
                   destination ? " for destination " : "", destination ? destination : "");
      return NULL;
    case PX_TFC_FAILED:
    default:
      return NULL;
    }
  if (space_token)
    *space_token = g_strdup (tok);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
