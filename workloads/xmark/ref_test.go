package xmark

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// The reference: encoding/xml's Decoder.Token decides whether a document is
// well-formed (plus the document-level rules of errors.go), and a small
// tree built from its tokens answers the queries by their definitions in
// answers.go. Every kernel is checked against it.

type node struct {
	local    string
	attrs    []xml.Attr
	children []*node
	data     []byte // direct character data
}

func (n *node) attr(local string) (string, bool) {
	v, ok := "", false
	for _, a := range n.attrs {
		if a.Name.Local == local {
			v, ok = a.Value, true // the last one counts
		}
	}
	return v, ok
}

func (n *node) kids(local string) []*node {
	var out []*node
	for _, c := range n.children {
		if local == "*" || c.local == local {
			out = append(out, c)
		}
	}
	return out
}

// refParse returns the document's tree, or encoding/xml's (or the document
// rules') verdict that it is malformed.
func refParse(doc []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var root *node
	var stack []*node
	first := true
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{local: t.Name.Local, attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New(msgTwoRoots)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if outsideText(t, first && off == 0) >= 0 {
					return nil, errors.New(msgOutsideCD)
				}
			} else {
				p := stack[len(stack)-1]
				p.data = append(p.data, t...)
			}
		}
		first = false
	}
	if root == nil {
		return nil, errors.New(msgNoRoot)
	}
	return root, nil
}

func refAnswers(root *node) Answers {
	var a Answers
	if root.local != "site" {
		return a
	}
	for _, regions := range root.kids("regions") {
		for _, cont := range regions.kids("*") {
			a.Q6 += int64(len(cont.kids("item")))
		}
	}
	for _, people := range root.kids("people") {
		for _, p := range people.kids("person") {
			if id, ok := p.attr("id"); ok && id == "person0" && !a.Q1Found {
				a.Q1Found = true
				if names := p.kids("name"); len(names) > 0 {
					a.Q1 = string(names[0].data)
				}
			}
			home := false
			for _, h := range p.kids("homepage") {
				if len(h.data) > 0 {
					home = true
				}
			}
			if !home {
				a.Q17++
			}
			na := true
			for _, pr := range p.kids("profile") {
				if v, ok := pr.attr("income"); ok {
					na = false
					a.Q20.addIncome([]byte(v))
				}
			}
			if na {
				a.Q20.NA++
			}
		}
	}
	for _, cas := range root.kids("closed_auctions") {
		for _, ca := range cas.kids("closed_auction") {
			for _, pr := range ca.kids("price") {
				if priceAtLeast40(pr.data) {
					a.Q5++
					break
				}
			}
		}
	}
	return a
}

// reference returns the answers the kernels must give, or the error they
// must give one of.
func reference(doc []byte) (Answers, error) {
	root, err := refParse(doc)
	if err != nil {
		return Answers{}, err
	}
	return refAnswers(root), nil
}

func genDoc(tb interface{ Fatal(...any) }, scale float64, seed uint64, traps bool) []byte {
	var buf bytes.Buffer
	if _, err := Generate(&buf, GenConfig{Scale: scale, Seed: seed, Traps: traps}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// oneLine shortens a document for a failure message.
func oneLine(doc []byte) string {
	s := strings.ReplaceAll(string(doc), "\n", `\n`)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
