package nhsfile

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Each opens path, a .csv file or a .zip as NHS England publishes them, and
// calls fn for the CSV file itself or for every .csv inside the zip (in the
// zip's order), with its name and uncompressed size. A truncated or broken
// zip is an error naming the file, and so is an entry that would expand past
// MaxExpandedBytes or MaxExpansionRatio (checked before it is read, and
// again as it is).
func Each(path string, fn func(name string, r io.Reader, size int64) error) error {
	if !strings.EqualFold(filepath.Ext(path), ".zip") {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return fn(filepath.Base(path), f, st.Size())
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return &FileError{File: filepath.Base(path), Err: fmt.Errorf("is not a readable zip file (is it truncated?): %w", err)}
	}
	defer zr.Close()
	found := false
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(zf.Name), ".csv") {
			continue
		}
		found = true
		name := filepath.Base(path) + ":" + zf.Name
		if err := checkExpansion(zf.CompressedSize64, zf.UncompressedSize64); err != nil {
			return &FileError{File: name, Err: err}
		}
		rc, err := zf.Open()
		if err != nil {
			return &FileError{File: name, Err: err}
		}
		err = fn(name, &expansionLimit{r: rc, left: int64(zf.UncompressedSize64)}, int64(zf.UncompressedSize64))
		rc.Close()
		if err != nil {
			return err
		}
	}
	if !found {
		return &FileError{File: filepath.Base(path), Err: fmt.Errorf("holds no .csv file")}
	}
	return nil
}
