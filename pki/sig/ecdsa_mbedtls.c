/* ecdsa_mbedtls.c - the mbedTLS 2.28 ECDSA backend (pki_sig.h): portable C,
 * the firmware's. sig_ecdsa.c has already checked the encoding and the
 * ranges; this file only loads the point (mbedtls_ecp_check_pubkey: on the
 * curve, coordinates below p) and checks the equation. mbedTLS's bignums
 * allocate from the platform's heap (a static pool on the firmware). */
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"

static int map_err(int rc)
{
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED || rc == MBEDTLS_ERR_ECP_ALLOC_FAILED)
        return MH_ERR_NOMEM;
    return MH_ERR_VERIFY_FAILED;
}

static int load(mbedtls_ecp_group *grp, mbedtls_ecp_point *q, mbedtls_ecp_group_id curve,
                const uint8_t *point, size_t len)
{
    int rc = mbedtls_ecp_group_load(grp, curve);
    if (rc == MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE)
        return MH_ERR_UNSUPPORTED_ALG;
    if (rc != 0)
        return map_err(rc);
    rc = mbedtls_ecp_point_read_binary(grp, q, point, len);
    if (rc == 0)
        rc = mbedtls_ecp_check_pubkey(grp, q);
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED || rc == MBEDTLS_ERR_ECP_ALLOC_FAILED)
        return MH_ERR_NOMEM;
    return rc == 0 ? 0 : MH_ERR_INVALID_ARG;
}

static int point_check(mbedtls_ecp_group_id curve, const uint8_t *point, size_t len)
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    int ret = load(&grp, &q, curve, point, len);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ret;
}

static int verify(mbedtls_ecp_group_id curve, const uint8_t *point, size_t point_len,
                  const uint8_t *hash, size_t hash_len, const uint8_t *r, const uint8_t *s,
                  size_t nlen)
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi mr, ms;
    int ret;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&mr);
    mbedtls_mpi_init(&ms);
    if ((ret = load(&grp, &q, curve, point, point_len)) != 0)
        goto out;
    if (mbedtls_mpi_read_binary(&mr, r, nlen) != 0 || mbedtls_mpi_read_binary(&ms, s, nlen) != 0) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    int rc = mbedtls_ecdsa_verify(&grp, hash, hash_len, &q, &mr, &ms);
    ret = rc == 0 ? 0 : map_err(rc);
out:
    mbedtls_mpi_free(&ms);
    mbedtls_mpi_free(&mr);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ret;
}

const mh_pki_ecdsa_backend mh_pki_ecdsa_backend_mbedtls = {"mbedtls", point_check, verify};
