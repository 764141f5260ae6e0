/* index_int.h - the document index's storage (index.c), for docs.c. */
#ifndef MH_INDEX_INT_H
#define MH_INDEX_INT_H

#include "app_int.h"
#include "mh_docs.h"

/* Stores the record of doc_id (a JSON object, len bytes) in STATE/index,
 * replacing any earlier one; the index is created on first use. */
int app_index_put(const char *dir, const char *doc_id, const char *json, size_t len) MH_WARN_UNUSED;
/* The record of doc_id (malloc'd, NUL-terminated). MH_ERR_NOT_FOUND when
 * there is none (or no index yet). */
int app_index_get(const char *dir, const char *doc_id, char **json, size_t *len) MH_WARN_UNUSED;

/* 0 when the index can be read or does not exist yet; else why not (a
 * verifier who is not the appliance's owner: MH_ERR_PERMISSION). */
int app_index_check(const char *dir) MH_WARN_UNUSED;

#endif
