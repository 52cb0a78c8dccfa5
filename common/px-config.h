/* px-config.h — configuration tables: each module declares its keys once
 * ({group, key, type, default, reloadable, doc, field}) and binds them to
 * the typed fields of its own settings struct at load and reload
 * (PgBouncer's bouncer_params); files are GKeyFiles; an unknown group or key
 * is an error (a typo must not be silently ignored). */
#pragma once

#include <glib.h>

typedef enum
{
  PX_CONFIG_STRING,
  PX_CONFIG_INT,    /* a whole number >= 1 (counts, seconds) */
  PX_CONFIG_COUNT,  /* a whole number >= 0 (0 switches the feature off) */
  PX_CONFIG_BOOL,
  PX_CONFIG_LIST, /* comma-separated strings */
} PxConfigType;

typedef struct
{
  const char *group;
  const char *key;
  PxConfigType type;
  const char *def;   /* NULL: required */
  gboolean reloadable;
  const char *doc;
  /* Where px_config_bind puts the value in the module's settings struct:
   * gint64 (INT, COUNT), gboolean (BOOL), const char * (STRING) or
   * char ** (LIST, NULL-terminated); strings stay owned by the PxConfig. */
  gsize field;
} PxConfigKey;
#define PX_CONFIG_FIELD(type, member) G_STRUCT_OFFSET (type, member)

#define PX_CONFIG_ERROR (px_config_error_quark ())
GQuark px_config_error_quark (void);
typedef enum { PX_CONFIG_ERROR_INVALID } PxConfigErrorCode;

typedef struct _PxConfig PxConfig;

/* Load PATH and check it against TABLES: a NULL-terminated list of key
 * tables (one per module), each terminated by a {NULL} entry. */
PxConfig *px_config_load (const char *path, const PxConfigKey *const *tables, GError **error);
/* Fill SETTINGS (the module's struct) from CFG for every key of TABLE. */
void px_config_bind (const PxConfig *cfg, const PxConfigKey *table, gpointer settings);
/* The same from SIZE bytes of DATA; NAME stands for the file in messages
 * and is what px_config_path gives. */
PxConfig *px_config_load_data (const char *data, gsize size, const char *name, const PxConfigKey *const *tables,
                               GError **error);
void px_config_free (PxConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxConfig, px_config_free)

const char *px_config_path (const PxConfig *cfg);
/* Values (defaults applied); the key must be in the table. */
const char *px_config_string (const PxConfig *cfg, const char *group, const char *key);
gint64 px_config_int (const PxConfig *cfg, const char *group, const char *key);
gboolean px_config_bool (const PxConfig *cfg, const char *group, const char *key);
/* NULL-terminated, owned by the config. */
char **px_config_list (const PxConfig *cfg, const char *group, const char *key);
