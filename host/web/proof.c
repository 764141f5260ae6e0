/* proof.c - the ledger part of the page: the entry a receipt names, proven
 * against the latest signed checkpoint (its signature by a registry key,
 * then an RFC 9162 inclusion proof to its root). The page shows the result
 * and hands the same data to the browser, which checks it again. */
#include <string.h>

#include "mh_pki.h"
#include "web_int.h"

/* Does a registry key sign this note (C2SP signed note, ECDSA type 0x02,
 * the key named by the checkpoint's origin)? */
static bool note_signed(const char *note, size_t len, const char *origin,
                        const mh_app_web_key *keys, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++) {
        mh_note_vkey vk;
        memset(&vk, 0, sizeof vk);
        size_t ol = strlen(origin);
        if (ol > MH_NOTE_MAX_NAME)
            return false;
        memcpy(vk.name, origin, ol);
        vk.name_len = ol;
        vk.type = MH_NOTE_ECDSA;
        memcpy(vk.key, keys[i].spki, MH_APP_WEB_SPKI_LEN);
        vk.key_len = MH_APP_WEB_SPKI_LEN;
        if (mh_note_keyid(origin, ol, MH_NOTE_ECDSA, vk.key, vk.key_len, vk.id) != 0)
            continue;
        mh_note_status st = {0};
        if (mh_note_verify(note, len, &vk, 1, &st, NULL) == 0 && st.verified)
            return true;
    }
    return false;
}

void web_proof_get(mh_app *a, const mh_app_web_key *keys, size_t nkeys, uint64_t index,
                   web_proof *p)
{
    mh_ledger *l = mh_app_ledger(a);
    mh_checkpoint cp;
    mh_ledger_entry e;
    uint8_t leaf[32], root[32];

    memset(p, 0, sizeof *p);
    p->state = WEB_PROOF_NONE;
    if (!l || mh_ledger_checkpoint_get(l, UINT64_MAX, p->note, sizeof p->note, &p->note_len,
                                       &p->seq) != 0) {
        return;
    }
    p->state = WEB_PROOF_BAD;
    if (mh_checkpoint_parse(p->note, p->note_len, &cp) != 0 ||
        !note_signed(p->note, p->note_len, cp.origin, keys, nkeys))
        goto out;
    p->size = cp.size;
    if (cp.size > 0 && mh_ledger_get(l, cp.size - 1, &e) == 0)
        p->covered_time = e.time;
    if (index >= cp.size) {
        p->state = WEB_PROOF_PENDING;
        goto out;
    }
    if (mh_ledger_get_raw(l, index, p->entry, sizeof p->entry, &p->entry_len) != 0 ||
        mh_ledger_prove_inclusion(l, index, cp.size, p->hashes, WEB_PROOF_MAX, &p->nhashes) != 0)
        goto out;
    mh_merkle_leaf_hash(p->entry, p->entry_len, leaf);
    memcpy(root, cp.root, 32);
    if (mh_merkle_verify_inclusion(leaf, index, cp.size, (const uint8_t(*)[32])p->hashes,
                                   p->nhashes, root) == 0)
        p->state = WEB_PROOF_OK;
out:
    return;
}
