/*
 * mh_pki.h - trust math and formats: portable C on mbedTLS alone.
 *
 * The one header users of pki/ include. Its parts are kept in section
 * headers (pki_*.h) so each stays readable; none of them is included on its
 * own. pki/ does no I/O, never calls PKCS#11 (it signs through an
 * mh_signer, common_signer.h, that hsm/ or a caller provides), and the parts the firmware
 * compiles (DER reading, signature checks, Merkle proofs, notes, receipts)
 * never allocate.
 */
#ifndef MH_PKI_H
#define MH_PKI_H

#include "pki_base.h"

#include "pki_der.h"
#include "pki_merkle.h"
#include "pki_ca.h"
#include "pki_ed25519.h"
#include "pki_note.h"
#include "pki_cms.h"
#include "pki_tsp.h"
#include "pki_cbor.h"
#include "pki_sig.h"
#include "pki_receipt.h"
#include "pki_x509.h"

#endif
