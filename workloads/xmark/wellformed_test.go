package xmark

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// malformed documents, each with why it is malformed; every kernel must
// reject every one with a *SyntaxError naming the input and the line.
var malformed = []struct {
	name, doc string
	line      int // where the problem is
}{
	{"mismatched end tag", "<site>\n<people></peeple>\n</site>", 2},
	{"unclosed element", "<site>\n<people>\n</site>", 3},
	{"end tag without start", "<site></site></site>", 1},
	{"undefined entity", "<site>\n<a>&euro;</a></site>", 2},
	{"entity without semicolon", "<site>&amp</site>", 1},
	{"character reference out of range", "<site>&#x110000;</site>", 1},
	{"character reference to NUL", "<site>&#0;</site>", 1},
	{"truncated in a tag", "<site><people><per", 1},
	{"truncated in text", "<site>\n<people>some text", 2},
	{"truncated in an attribute", `<site a="1`, 1},
	{"illegal character", "<site>\x01</site>", 1},
	{"illegal character in an attribute", "<site a=\"\x02\"/>", 1},
	{"invalid UTF-8", "<site>\n\xff</site>", 2},
	{"invalid UTF-8 in CDATA", "<site><![CDATA[\xc3]]></site>", 1},
	{"noncharacter U+FFFE", "<site>\uFFFE</site>", 1},
	{"unterminated comment", "<site><!-- no end </site>", 1},
	{"double hyphen in comment", "<site><!-- a -- b --></site>", 1},
	{"unterminated CDATA", "<site><![CDATA[ no end </site>", 1},
	{"bad CDATA opener", "<site><![CDAT[x]]></site>", 1},
	{"]]> in text", "<site>a]]>b</site>", 1},
	{"< in attribute", `<site a="<"/>`, 1},
	{"unquoted attribute", "<site a=1/>", 1},
	{"attribute without value", "<site a/>", 1},
	{"name starting with a digit", "<1site/>", 1},
	{"two colons in a name", "<a:b:c/>", 1},
	{"space before name", "< site/>", 1},
	{"xml version 1.1", `<?xml version="1.1"?><site/>`, 1},
	{"other encoding", `<?xml version="1.0" encoding="latin1"?><site/>`, 1},
	{"empty document", "", 1},
	{"only a comment", "<!-- nothing -->\n", 2},
	{"two roots", "<site/>\n<site/>", 2},
	{"text after the root", "<site/>\nmore", 2},
	{"text before the root", "hello <site/>", 1},
	{"unterminated PI", "<?pi no end <site/>", 1},
	{"unterminated directive", "<!DOCTYPE site [ <!ELEMENT site ANY> <site/>", 1},
}

// wellformed documents that look odd but encoding/xml accepts; every kernel
// must accept them.
var wellformed = []struct{ name, doc string }{
	{"BOM and declaration", "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<site/>"},
	{"doctype with internal subset", "<!DOCTYPE site [ <!ENTITY x \"y\"> <!-- a > b --> ]>\n<site/>"},
	{"comments and PIs around the root", "<!-- a --><?pi x?>\n<site/>\n<!-- b -->\n"},
	{"attributes without spaces", `<site a="1"b='2'/>`},
	{"namespaces", `<s:site xmlns:s="urn:x"><s:people/></s:site>`},
	{"CDATA with markup", "<site><![CDATA[<person id='person0'>]]></site>"},
	{"references", "<site a='&lt;&#x41;&#66;&quot;'>&amp;&apos;&gt;&#x1F600;</site>"},
	{"surrogate reference becomes U+FFFD", "<site>&#xD800;</site>"},
	{"carriage returns", "<site>\r\n<a>\r</a>\r</site>\r\n"},
	{"non-ASCII names", "<sité><ñ:x xmlns:ñ='u'/></sité>"},
	{"]] and > apart", "<site>]] > ]]&gt;</site>"},
}

func TestMalformed(t *testing.T) {
	for _, tc := range malformed {
		if _, err := reference([]byte(tc.doc)); err == nil {
			t.Fatalf("%s: the reference (encoding/xml) accepts %q", tc.name, tc.doc)
		}
		for _, k := range Kernels() {
			for mode, run := range runModes(k) {
				a, err := run("bad.xml", []byte(tc.doc))
				var se *SyntaxError
				switch {
				case err == nil:
					t.Errorf("%s/kernel=%s/%s: accepted %q with %v", tc.name, k.Name, mode, tc.doc, a)
				case !errors.As(err, &se):
					t.Errorf("%s/kernel=%s/%s: %v is not a *SyntaxError", tc.name, k.Name, mode, err)
				case se.Input != "bad.xml" || !strings.HasPrefix(err.Error(), "bad.xml:"):
					t.Errorf("%s/kernel=%s/%s: error %q does not name the input", tc.name, k.Name, mode, err)
				case se.Line != tc.line || se.Offset < 0 || se.Offset > int64(len(tc.doc)):
					t.Errorf("%s/kernel=%s/%s: error %q at line %d, byte %d; want line %d", tc.name, k.Name, mode, err, se.Line, se.Offset, tc.line)
				}
			}
		}
	}
}

func TestWellformed(t *testing.T) {
	for _, tc := range wellformed {
		want, err := reference([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: the reference rejects %q: %v", tc.name, tc.doc, err)
		}
		for _, k := range Kernels() {
			for mode, run := range runModes(k) {
				if got, err := run("ok.xml", []byte(tc.doc)); err != nil || got != want {
					t.Errorf("%s/kernel=%s/%s: %v, %v; want %v", tc.name, k.Name, mode, got, err, want)
				}
			}
		}
	}
}

// runModes are the ways a kernel reads a document: from memory, streaming
// one byte at a time, and cut into chunks.
func runModes(k *Kernel) map[string]func(string, []byte) (Answers, error) {
	return map[string]func(string, []byte) (Answers, error){
		"bytes": k.RunBytes,
		"stream": func(in string, doc []byte) (Answers, error) {
			return k.Run(in, iotest.OneByteReader(bytes.NewReader(doc)))
		},
		"chunks": func(in string, doc []byte) (Answers, error) {
			return k.RunChunks(Sequential{}, in, doc, 3)
		},
	}
}

// TestFixtures: the documents in testdata/ (also the fuzz seeds) give the
// reference's verdict and answers with every kernel.
func TestFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata")
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkAllKernels(t, filepath.Base(f), doc)
	}
}

// checkAllKernels compares every kernel in every mode with the reference.
func checkAllKernels(t *testing.T, name string, doc []byte) {
	t.Helper()
	want, wantErr := reference(doc)
	for _, k := range Kernels() {
		checkKernel(t, k, name, doc, want, wantErr)
	}
}

func checkKernel(t *testing.T, k *Kernel, name string, doc []byte, want Answers, wantErr error) {
	t.Helper()
	for mode, run := range runModes(k) {
		got, err := run(name, doc)
		switch {
		case wantErr != nil && err == nil:
			t.Errorf("%s/kernel=%s/%s: accepts %q (answers %v); encoding/xml says %v", name, k.Name, mode, oneLine(doc), got, wantErr)
		case wantErr == nil && err != nil:
			t.Errorf("%s/kernel=%s/%s: rejects %q: %v; encoding/xml accepts it", name, k.Name, mode, oneLine(doc), err)
		case err != nil && !isSyntax(err):
			t.Errorf("%s/kernel=%s/%s: %v is not a *SyntaxError", name, k.Name, mode, err)
		case err == nil && got != want:
			t.Errorf("%s/kernel=%s/%s: answers %v; want %v (doc %q)", name, k.Name, mode, got, want, oneLine(doc))
		}
	}
}
