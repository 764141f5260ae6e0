/* pdf_dss.c - reading a document's DSS (document security store, ISO
 * 32000-2 12.8.4.3, ETSI EN 319 142-1 5.4.2): the certificates, CRLs and
 * OCSP responses a PAdES B-LT document carries for validating its
 * signatures later. Only the streams' decoded bytes are returned; what
 * they are worth is the validator's to decide. */
#include "pdf_int.h"

#include <stdlib.h>
#include <string.h>

/* What one entry may hold, and all of them together. */
#define DSS_MAX_CERT ((size_t)64 * 1024)
#define DSS_MAX_CRL ((size_t)16 * 1024 * 1024)
#define DSS_MAX_OCSP ((size_t)1024 * 1024)
#define DSS_MAX_TOTAL ((size_t)64 * 1024 * 1024)

static void problem(mh_pdf_dss *dss, const char *what)
{
    dss->nbad++;
    if (!dss->problem[0])
        snprintf(dss->problem, sizeof dss->problem, "%s", what);
}

/* Reads the array `key` of the DSS into a list of decoded streams. */
static int read_list(qpdf_data q, qpdf_oh dict, const char *key, size_t max_one, mh_pdf_dss *dss,
                     size_t *total, uint8_t ***items, size_t **lens, size_t *n)
{
    qpdf_oh arr = qpdf_oh_get_key(q, dict, key);
    if (qpdf_oh_is_null(q, arr))
        return MH_OK;
    if (!qpdf_oh_is_array(q, arr)) {
        problem(dss, "a DSS entry is not an array");
        return MH_OK;
    }
    int na = qpdf_oh_get_array_n_items(q, arr);
    if (na <= 0)
        return MH_OK;
    size_t cnt = (size_t)na < MH_PDF_DSS_MAX ? (size_t)na : MH_PDF_DSS_MAX;
    if ((size_t)na > MH_PDF_DSS_MAX)
        problem(dss, "a DSS array holds more entries than mohur reads");
    *items = calloc(cnt, sizeof **items);
    *lens = calloc(cnt, sizeof **lens);
    if (!*items || !*lens)
        return MH_ERR_NOMEM;
    for (size_t i = 0; i < cnt; i++) {
        qpdf_oh st = qpdf_oh_get_array_item(q, arr, (int)i);
        if (!qpdf_oh_is_stream(q, st)) {
            problem(dss, "a DSS entry is not a stream");
            continue;
        }
        unsigned char *data = NULL;
        size_t len = 0;
        QPDF_BOOL filtered = QPDF_FALSE;
        if (qpdf_oh_get_stream_data(q, st, qpdf_dl_generalized, &filtered, &data, &len) !=
                QPDF_SUCCESS ||
            !filtered) {
            free(data);
            problem(dss, "a DSS stream cannot be decoded");
            continue;
        }
        if (len == 0 || len > max_one || len > DSS_MAX_TOTAL - *total) {
            free(data);
            problem(dss, len == 0 ? "a DSS stream is empty" : "a DSS stream is too large");
            continue;
        }
        *total += len;
        (*items)[*n] = data; /* transferred */
        (*lens)[*n] = len;
        (*n)++;
    }
    return MH_OK;
}

int mh_pdf_document_dss(mh_pdf_document *doc, mh_pdf_dss *dss)
{
    int ret = MH_ERR_INVALID_ARG;
    size_t total = 0;
    if (!doc || !dss)
        return ret;
    memset(dss, 0, sizeof *dss);
    qpdf_data q = doc->d.q;
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh d = qpdf_oh_get_key(q, root, "/DSS");
    if (!qpdf_oh_is_dictionary(q, d)) {
        if (!qpdf_oh_is_null(q, d))
            problem(dss, "the catalog's /DSS is not a dictionary");
        ret = MH_OK;
        goto out;
    }
    dss->present = true;
    ret = read_list(q, d, "/Certs", DSS_MAX_CERT, dss, &total, &dss->certs, &dss->cert_len,
                    &dss->ncerts);
    if (ret == MH_OK)
        ret = read_list(q, d, "/CRLs", DSS_MAX_CRL, dss, &total, &dss->crls, &dss->crl_len,
                        &dss->ncrls);
    if (ret == MH_OK)
        ret = read_list(q, d, "/OCSPs", DSS_MAX_OCSP, dss, &total, &dss->ocsps, &dss->ocsp_len,
                        &dss->nocsps);
    qpdf_oh vri = qpdf_oh_get_key(q, d, "/VRI");
    dss->has_vri = qpdf_oh_is_dictionary(q, vri);
out:
    if (ret == MH_OK)
        ret = mh_pdf_doc_ok(&doc->d, "reading the DSS");
    if (ret != MH_OK)
        mh_pdf_dss_free(dss);
    return ret;
}

void mh_pdf_dss_free(mh_pdf_dss *dss)
{
    if (!dss)
        return;
    for (size_t i = 0; dss->certs && i < dss->ncerts; i++)
        free(dss->certs[i]);
    for (size_t i = 0; dss->crls && i < dss->ncrls; i++)
        free(dss->crls[i]);
    for (size_t i = 0; dss->ocsps && i < dss->nocsps; i++)
        free(dss->ocsps[i]);
    free(dss->certs);
    free(dss->cert_len);
    free(dss->crls);
    free(dss->crl_len);
    free(dss->ocsps);
    free(dss->ocsp_len);
    memset(dss, 0, sizeof *dss);
}
