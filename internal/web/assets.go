package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

// static holds the NHS.UK frontend (copied from npm by `npm run assets`) and
// OnePC's own small CSS and JavaScript.
//
//go:embed static
var static embed.FS

// assets serves /assets/… and gives templates content-hashed URLs, so that a
// new release is never served an old cached file and files can be cached for a year.
type assets struct {
	fs     fs.FS
	hashes map[string]string // file name → short content hash
	files  http.Handler
}

func loadAssets() (*assets, error) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	a := &assets{fs: sub, hashes: map[string]string{}, files: http.StripPrefix("/assets/", http.FileServerFS(sub))}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a, err
}

// url returns the hashed URL of an asset; an unknown name is a template bug.
func (a *assets) url(name string) string {
	h, ok := a.hashes[name]
	if !ok {
		panic("web: no asset called " + name)
	}
	return "/assets/" + name + "?v=" + h
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/assets/")
	if h, ok := a.hashes[name]; ok && r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	a.files.ServeHTTP(w, r)
}
