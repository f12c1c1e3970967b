package kernels

import (
	"bytes"
	"math/rand/v2"
)

// The substr family: the number of non-overlapping occurrences of a word in
// a text, counted left to right (as bytes.Count counts). The text is n bytes
// of English words; the word occurs about once in 60 words.

const needle = "whereupon"

var fillWords = []string{
	"the", "and", "of", "to", "a", "in", "that", "is", "was", "he", "for", "it",
	"with", "as", "his", "on", "be", "at", "by", "had", "not", "are", "but",
	"from", "or", "have", "an", "they", "which", "one", "you", "were", "her",
	"all", "she", "there", "would", "their", "we", "him", "been", "has", "when",
	"who", "will", "more", "no", "if", "out", "so", "said", "what", "up", "its",
	"about", "into", "than", "them", "can", "only", "other", "new", "some",
	"where", "here", "upon", "when", "whence", "wherefore",
}

type textInput struct {
	text, word []byte
}

func init() {
	register(&Family{
		Name:      "substr",
		Help:      "count non-overlapping occurrences of a word in a text",
		Unit:      "bytes",
		N:         1 << 16,
		Agreement: "exact",
		Variants: []*Variant{
			{Name: "naive", Help: "compare the word at every position, byte by byte: O(n·m) worst case", run: func(in any) Result { return Result{Int: countNaive(in.(textInput))} }},
			{Name: "index", Help: "bytes.Index from each match: the first byte found by a vectorized scan", run: func(in any) Result { return Result{Int: countIndex(in.(textInput))} }},
			{Name: "count", Help: "bytes.Count: the library's own loop", run: func(in any) Result {
				t := in.(textInput)
				return Result{Int: int64(bytes.Count(t.text, t.word))}
			}},
		},
		input: func(n int, r *rand.Rand) any {
			text := make([]byte, 0, n+16)
			for len(text) < n {
				w := fillWords[r.IntN(len(fillWords))]
				if r.IntN(60) == 0 {
					w = needle
				}
				text = append(text, w...)
				text = append(text, ' ')
			}
			return textInput{text: text[:n], word: []byte(needle)}
		},
		prefix: func(in any, n int) any {
			t := in.(textInput)
			return textInput{text: t.text[:n], word: t.word}
		},
		work:  func(in any) float64 { return float64(len(in.(textInput).text)) },
		agree: exact,
		ref:   2,
	})
}

func countNaive(t textInput) int64 {
	text, w := t.text, t.word
	var n int64
	for i := 0; i+len(w) <= len(text); {
		j := 0
		for j < len(w) && text[i+j] == w[j] {
			j++
		}
		if j == len(w) {
			n++
			i += len(w)
		} else {
			i++
		}
	}
	return n
}

func countIndex(t textInput) int64 {
	text, w := t.text, t.word
	var n int64
	for {
		i := bytes.Index(text, w)
		if i < 0 {
			return n
		}
		n++
		text = text[i+len(w):]
	}
}
