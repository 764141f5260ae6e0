/*
 * issuer_pick.c - who issues a kind when the request names no issuer: the
 * one issuer of config.json that may issue it (none or several is an
 * error that says which to name).
 */
#include "app_int.h"

#include <stdio.h>
#include <string.h>

int mh_app_issuer_for_kind(const mh_app *a, const char *kind_id, mh_app_issuer_info *out)
{
    size_t found = 0;
    for (size_t i = 0; i < a->nissuers; i++)
        for (size_t k = 0; k < a->issuers[i].info.nkinds && k < 8; k++)
            if (strcmp(a->issuers[i].info.kinds[k], kind_id) == 0) {
                if (!found)
                    *out = a->issuers[i].info;
                found++;
            }
    if (found == 1)
        return MH_OK;
    if (!found)
        mh_err_set(MH_ERR_INVALID_ARG,
                   "no issuer of this appliance may issue '%.40s'; name one, or give one the "
                   "kind in config.json",
                   kind_id);
    else
        mh_err_set(MH_ERR_INVALID_ARG, "several issuers may issue '%.40s'; name the one that signs",
                   kind_id);
    return MH_ERR_INVALID_ARG;
}
