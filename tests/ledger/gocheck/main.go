// gocheck: an independent check of what mohur's ledger writes, with Go's
// golang.org/x/mod/sumdb/tlog and note (RFC 6962 / RFC 9162 hashing).
//
//	gocheck keygen NAME SKEYFILE VKEYFILE
//	gocheck sign SKEYFILE BODYFILE NOTEFILE
//	gocheck tiles DIR VKEYFILE         verify the checkpoint, every tile and every entry
//	gocheck inclusion PROOFFILE ENTRYFILE
//	gocheck consistency PROOFFILE
//
// Exit status 0 when everything checks, 1 otherwise.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gocheck: "+format+"\n", args...)
	os.Exit(1)
}

func readFile(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		die("%v", err)
	}
	return b
}

// C2SP tlog-tiles path of a tile (the height is not in the path).
func tilePath(level int, n int64, w int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	var p string
	if level < 0 {
		p = "tile/entries/" + s
	} else {
		p = fmt.Sprintf("tile/%d/%s", level, s)
	}
	if w > 0 && w < 256 {
		p += fmt.Sprintf(".p/%d", w)
	}
	return p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, tilePath(t.L, t.N, t.W)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func parseCheckpoint(text string) (string, int64, tlog.Hash) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		die("checkpoint too short")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		die("checkpoint size: %v", err)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		die("checkpoint root: %v", err)
	}
	return lines[0], n, h
}

func main() {
	if len(os.Args) < 2 {
		die("usage: gocheck keygen|sign|tiles|inclusion|consistency ...")
	}
	switch os.Args[1] {
	case "keygen":
		skey, vkey, err := note.GenerateKey(rand.Reader, os.Args[2])
		if err != nil {
			die("%v", err)
		}
		os.WriteFile(os.Args[3], []byte(skey), 0600)
		os.WriteFile(os.Args[4], []byte(vkey), 0644)
	case "sign":
		s, err := note.NewSigner(strings.TrimSpace(string(readFile(os.Args[2]))))
		if err != nil {
			die("%v", err)
		}
		msg, err := note.Sign(&note.Note{Text: string(readFile(os.Args[3]))}, s)
		if err != nil {
			die("sign: %v", err)
		}
		os.WriteFile(os.Args[4], msg, 0644)
	case "tiles":
		dir := os.Args[2]
		v, err := note.NewVerifier(strings.TrimSpace(string(readFile(os.Args[3]))))
		if err != nil {
			die("%v", err)
		}
		n, err := note.Open(readFile(filepath.Join(dir, "checkpoint")), note.VerifierList(v))
		if err != nil {
			die("checkpoint signature: %v", err)
		}
		_, size, root := parseCheckpoint(n.Text)
		tree := tlog.Tree{N: size, Hash: root}
		hr := tlog.TileHashReader(tree, dirTiles{dir})
		th, err := tlog.TreeHash(size, hr)
		if err != nil || th != root {
			die("tree hash from tiles: %v (%v vs %v)", err, th, root)
		}
		// every entry from the bundles, proved against the root
		var idx int64
		for b := int64(0); idx < size; b++ {
			w := size - b*256
			if w > 256 {
				w = 256
			}
			data := readFile(filepath.Join(dir, tilePath(-1, b, int(w))))
			for j := int64(0); j < w; j++ {
				if len(data) < 2 {
					die("bundle %d short", b)
				}
				l := int(data[0])<<8 | int(data[1])
				if len(data) < 2+l {
					die("bundle %d short", b)
				}
				leaf := tlog.RecordHash(data[2 : 2+l])
				data = data[2+l:]
				p, err := tlog.ProveRecord(size, idx, hr)
				if err != nil {
					die("prove record %d: %v", idx, err)
				}
				if err := tlog.CheckRecord(p, size, root, idx, leaf); err != nil {
					die("record %d: %v", idx, err)
				}
				idx++
			}
			if len(data) != 0 {
				die("bundle %d has trailing bytes", b)
			}
		}
		fmt.Printf("gocheck tiles: %d entries, checkpoint signed by %s, all tiles and records verified\n", size, v.Name())
	case "inclusion":
		text := string(readFile(os.Args[2]))
		parts := strings.SplitN(text, "\n\n", 2)
		if len(parts) != 2 {
			die("no checkpoint in the proof")
		}
		sc := bufio.NewScanner(strings.NewReader(parts[0]))
		sc.Scan()
		if sc.Text() != "c2sp.org/tlog-proof@v1" {
			die("not a tlog-proof")
		}
		sc.Scan()
		index, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "index "), 10, 64)
		if err != nil {
			die("index: %v", err)
		}
		var proof tlog.RecordProof
		for sc.Scan() {
			h, err := tlog.ParseHash(sc.Text())
			if err != nil {
				die("hash: %v", err)
			}
			proof = append(proof, h)
		}
		_, size, root := parseCheckpoint(parts[1])
		leaf := tlog.RecordHash(readFile(os.Args[3]))
		if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
			die("inclusion of %d in %d: %v", index, size, err)
		}
		fmt.Printf("gocheck inclusion: entry %d in %d OK\n", index, size)
	case "consistency":
		sc := bufio.NewScanner(bytes.NewReader(readFile(os.Args[2])))
		sc.Scan()
		if sc.Text() != "mohur-consistency-proof@v1" {
			die("not a consistency proof")
		}
		var sizes [2]int64
		var roots [2]tlog.Hash
		for i := 0; i < 2; i++ {
			sc.Scan()
			f := strings.Fields(sc.Text())
			if len(f) != 3 {
				die("bad size line")
			}
			sizes[i], _ = strconv.ParseInt(f[1], 10, 64)
			h, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil || len(h) != 32 {
				die("bad root")
			}
			copy(roots[i][:], h)
		}
		var proof tlog.TreeProof
		for sc.Scan() {
			h, err := tlog.ParseHash(sc.Text())
			if err != nil {
				die("hash: %v", err)
			}
			proof = append(proof, h)
		}
		if err := tlog.CheckTree(proof, sizes[1], roots[1], sizes[0], roots[0]); err != nil {
			die("consistency %d -> %d: %v", sizes[0], sizes[1], err)
		}
		fmt.Printf("gocheck consistency: %d -> %d OK\n", sizes[0], sizes[1])
	default:
		die("unknown command %s", os.Args[1])
	}
}
