/* fuzz_note.c - signed-note, checkpoint, cosignature and vkey parsing and
 * verification take any bytes without reading outside them, and what
 * parses as a checkpoint formats back to the same checkpoint. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys of the signed-note vectors (seeds/note), so verification is reached:
 * Ed25519, ECDSA P-256, RFC 6962, and a cosignature key. */
static const char *const VKEYS[] = {
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
    "rekor.sigstore.dev+c0d23d6a+"
    "AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5A"
    "W5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc=",
    "rome.ct.filippo.io/"
    "2024h1+78f4abae+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFzPC3fap+uINc1RQ4eRbYM"
    "Ut84+bKkA8GDLN8KwVdzAgYhYSv4kS8XSheGLAHCWhIJTJbuC3sL88bNMTtrsBM=",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_note_vkey keys[5];
    static size_t nkeys;
    mh_note_status st[5];
    mh_checkpoint cp, cp2;
    const char *s = (const char *)data;
    size_t tl;
    uint64_t t;

    if (nkeys == 0) {
        for (size_t i = 0; i < sizeof VKEYS / sizeof VKEYS[0]; i++)
            if (mh_note_vkey_parse(VKEYS[i], strlen(VKEYS[i]), &keys[nkeys]) == 0)
                nkeys++;
        /* a witness key: Peter's Ed25519 key as type 0x04 */
        char vk[MH_NOTE_MAX_VKEY];
        size_t vl;
        if (mh_note_vkey_format("witness", MH_NOTE_COSIG, keys[0].key, 32, vk, sizeof vk, &vl) ==
                0 &&
            mh_note_vkey_parse(vk, vl, &keys[nkeys]) == 0)
            nkeys++;
    }
    size_t tl2 = 0;
    int parsed = mh_note_parse(s, size, &tl);
    /* what verifies must parse, with the same text */
    if (mh_note_verify(s, size, keys, nkeys, st, &tl2) == 0 && (parsed != 0 || tl2 != tl))
        abort();
    if (mh_cosig_verify(s, size, &keys[nkeys - 1], &t) == 0 && parsed != 0)
        abort();

    {
        /* a witness's add-checkpoint request: what parses formats back to
         * the same bytes */
        static uint8_t proof[64][32];
        static char again[MH_WITNESS_MAX_REQUEST + 8192];
        size_t np, off, al;
        uint64_t old;
        if (mh_witness_request_parse(s, size, &old, proof, 64, &np, &off) == 0) {
            if (off > size || np > 63 ||
                mh_witness_request_format(old, (const uint8_t(*)[32])proof, np, s + off, size - off,
                                          again, sizeof again, &al) != 0 ||
                al != size || memcmp(again, s, size) != 0)
                abort();
        }
    }
    if (mh_checkpoint_parse(s, size, &cp) == 0) {
        static char out[MH_NOTE_MAX_TEXT + 4096];
        size_t ol;
        if (mh_checkpoint_format(cp.origin, cp.size, cp.root, cp.ext, cp.ext_len, out, sizeof out,
                                 &ol) != 0 ||
            mh_checkpoint_parse(out, ol, &cp2) != 0 || cp2.size != cp.size ||
            memcmp(cp2.root, cp.root, 32) != 0 || strcmp(cp2.origin, cp.origin) != 0 ||
            cp2.ext_len != cp.ext_len || ol > size)
            abort();
        uint8_t msg[4096];
        size_t ml;
        if (mh_cosig_message(out, ol, 1, msg, sizeof msg, &ml) == 0 && ml != ol + 22)
            abort();
    }

    mh_note_vkey k;
    if (size <= MH_NOTE_MAX_VKEY && mh_note_vkey_parse(s, size, &k) == 0) {
        char vk[MH_NOTE_MAX_VKEY + 1];
        size_t vl;
        /* a key that parses formats back to an equivalent key */
        if (mh_note_vkey_format(k.name, k.type, k.key, k.key_len, vk, sizeof vk, &vl) != 0 ||
            vl != size)
            abort();
    }

    uint8_t raw[1024];
    size_t rl, el;
    if (size <= 1364 && mh_base64_decode(s, size, raw, sizeof raw, &rl) == 0) {
        /* canonical base64: decoding then encoding gives the input back */
        char enc[1400];
        if (mh_base64_encode(raw, rl, enc, sizeof enc, &el) != 0 || el != size ||
            memcmp(enc, s, size) != 0)
            abort();
    }
    return 0;
}
