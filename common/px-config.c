#include "px-config.h"
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK (px-config-error-quark, px_config_error)

struct _PxConfig
{
  char *path;
  const PxConfigKey *const *tables;
  GHashTable *values; /* "group.key" → char* (string form) */
  GHashTable *lists;  /* "group.key" → GStrv */
};

static const PxConfigKey *
find_key (const PxConfigKey *const *tables, const char *group, const char *key)
{
  for (const PxConfigKey *const *t = tables; *t; t++)
    for (const PxConfigKey *k = *t; k->group; k++)
      if (strcmp (k->group, group) == 0 && strcmp (k->key, key) == 0)
        return k;
  return NULL;
}

void
px_config_free (PxConfig *cfg)
{
  if (!cfg)
    return;
  g_free (cfg->path);
  g_hash_table_unref (cfg->values);
  g_hash_table_unref (cfg->lists);
  g_free (cfg);
}

/* Check the loaded KF against KEYS; PATH names it in messages. */
static gboolean check_key (PxConfig *cfg, GKeyFile *kf, const char *path, const PxConfigKey *k, GError **error);

static PxConfig *
check (GKeyFile *kf, const char *path, const PxConfigKey *const *tables, GError **error)
{
  g_autoptr(PxConfig) cfg = g_new0 (PxConfig, 1);
  cfg->path = g_strdup (path);
  cfg->tables = tables;
  cfg->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  cfg->lists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);

  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g]; g++)
    {
      g_auto(GStrv) names = g_key_file_get_keys (kf, groups[g], NULL, NULL);
      for (guint i = 0; names && names[i]; i++)
        if (!find_key (tables, groups[g], names[i]))
          {
            g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID,
                         "%s: unknown key '%s' in group [%s] (see etc/site.conf for the documented keys)", path,
                         names[i], groups[g]);
            return FALSE;
          }
    }
  for (const PxConfigKey *const *t = tables; *t; t++)
    for (const PxConfigKey *k = *t; k->group; k++)
      if (!check_key (cfg, kf, path, k, error))
        return FALSE;
  return g_steal_pointer (&cfg);
}

/* Read, check and keep key K's value. */
static gboolean
check_key (PxConfig *cfg, GKeyFile *kf, const char *path, const PxConfigKey *k, GError **error)
{
  char *v = g_key_file_get_string (kf, k->group, k->key, NULL);
  if (v)
    g_strstrip (v);
  if (!v && !k->def)
    {
      g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID, "%s: required key '%s' missing in group [%s]: %s",
                   path, k->key, k->group, k->doc);
      return FALSE;
    }
  if (!v)
    v = g_strdup (k->def);
  if (k->type == PX_CONFIG_INT || k->type == PX_CONFIG_COUNT)
    {
      char *end = NULL;
      gint64 min = k->type == PX_CONFIG_INT ? 1 : 0;
      gint64 n = g_ascii_strtoll (v, &end, 10);
      if (!*v || *end || n < min)
        {
          g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID,
                       "%s: [%s] %s = '%s' is not a whole number of at least %" G_GINT64_FORMAT, path, k->group,
                       k->key, v, min);
          g_free (v);
          return FALSE;
        }
    }
  else if (k->type == PX_CONFIG_BOOL && strcmp (v, "true") != 0 && strcmp (v, "false") != 0)
    {
      g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID, "%s: [%s] %s = '%s' must be true or false",
                   path, k->group, k->key, v);
      g_free (v);
      return FALSE;
    }
  char *name = g_strdup_printf ("%s.%s", k->group, k->key);
  if (k->type == PX_CONFIG_LIST)
    {
      char **items = g_strsplit (v, ",", -1);
      guint o = 0;
      for (guint i = 0; items[i]; i++)
        {
          g_strstrip (items[i]);
          if (*items[i])
            items[o++] = items[i];
          else
            g_free (items[i]);
        }
      items[o] = NULL;
      g_hash_table_insert (cfg->lists, g_strdup (name), items);
    }
  g_hash_table_insert (cfg->values, name, v);
  return TRUE;
}

/* Whether VALUE (of KEY) is or holds a password: a password key, a libpq
 * conninfo with password=, a URI with user:password@. */
static gboolean
holds_password (const char *key, const char *value)
{
  if (g_ascii_strcasecmp (key, "password") == 0 && *value)
    return TRUE;
  g_autofree char *v = g_ascii_strdown (value, -1);
  for (const char *p = v; (p = strstr (p, "password")); p += 8)
    {
      const char *q = p + 8;
      while (*q == ' ' || *q == '\t')
        q++;
      if (*q == '=' && (p == v || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '?' || p[-1] == '&'))
        return TRUE;
    }
  const char *scheme = strstr (value, "://");
  if (scheme)
    {
      const char *auth = scheme + 3, *end = auth + strcspn (auth, "/?#");
      const char *at = g_strstr_len (auth, end - auth, "@");
      if (at && memchr (auth, ':', at - auth))
        return TRUE;
    }
  return FALSE;
}

/* A file with a password that others than its owner may read is refused
 * (as ssh refuses a readable private key). */
static gboolean
check_secret_mode (GKeyFile *kf, const char *path, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  g_autofree char *where = NULL;
  for (guint g = 0; groups[g] && !where; g++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
      for (guint i = 0; keys && keys[i] && !where; i++)
        {
          g_autofree char *v = g_key_file_get_value (kf, groups[g], keys[i], NULL);
          if (v && holds_password (keys[i], v))
            where = g_strdup_printf ("[%s] %s", groups[g], keys[i]);
        }
    }
  if (!where)
    return TRUE;
  struct stat st;
  if (stat (path, &st) != 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
    return TRUE;
  g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID,
               "%s: %s holds a password, but the file may be read by %s (mode %04o): 'chmod 600 %s', or better "
               "move the password to a passfile ([site] passfile, PGPASSFILE or ~/.pgpass, mode 0600)", path, where,
               st.st_mode & S_IRWXO ? "everyone" : "its group", (unsigned) (st.st_mode & 07777), path);
  return FALSE;
}

PxConfig *
px_config_load (const char *path, const PxConfigKey *const *tables, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID, "cannot load config '%s': %s", path,
                   local->message);
      return NULL;
    }
  if (!check_secret_mode (kf, path, error))
    return NULL;
  return check (kf, path, tables, error);
}

PxConfig *
px_config_load_data (const char *data, gsize size, const char *name, const PxConfigKey *const *tables,
                     GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_data (kf, data, size, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID, "cannot load config '%s': %s", name,
                   local->message);
      return NULL;
    }
  return check (kf, name, tables, error);
}

const char *
px_config_path (const PxConfig *cfg)
{
  return cfg->path;
}

static const char *
value (const PxConfig *cfg, const char *group, const char *key, GHashTable *table)
{
  g_autofree char *name = g_strdup_printf ("%s.%s", group, key);
  const char *v = g_hash_table_lookup (table, name);
  if (!v)
    g_error ("config key [%s] %s is not in the key table", group, key);
  return v;
}

const char *
px_config_string (const PxConfig *cfg, const char *group, const char *key)
{
  return value (cfg, group, key, cfg->values);
}

gint64
px_config_int (const PxConfig *cfg, const char *group, const char *key)
{
  return g_ascii_strtoll (value (cfg, group, key, cfg->values), NULL, 10);
}

gboolean
px_config_bool (const PxConfig *cfg, const char *group, const char *key)
{
  return strcmp (value (cfg, group, key, cfg->values), "true") == 0;
}

char **
px_config_list (const PxConfig *cfg, const char *group, const char *key)
{
  return (char **) value (cfg, group, key, cfg->lists);
}

void
px_config_bind (const PxConfig *cfg, const PxConfigKey *table, gpointer settings)
{
  for (const PxConfigKey *k = table; k->group; k++)
    {
      gpointer field = G_STRUCT_MEMBER_P (settings, k->field);
      switch (k->type)
        {
        case PX_CONFIG_STRING:
          *(const char **) field = px_config_string (cfg, k->group, k->key);
          break;
        case PX_CONFIG_INT:
        case PX_CONFIG_COUNT:
          *(gint64 *) field = px_config_int (cfg, k->group, k->key);
          break;
        case PX_CONFIG_BOOL:
          *(gboolean *) field = px_config_bool (cfg, k->group, k->key);
          break;
        case PX_CONFIG_LIST:
          *(char ***) field = px_config_list (cfg, k->group, k->key);
          break;
        }
    }
}
