package kernels

import (
	"hash/maphash"
	"math/rand/v2"
	"strings"
)

// The concat family: join n short strings into one. The result is compared
// by its length and a hash of its bytes; work is counted in bytes built.

type piecesInput struct {
	pieces []string
	total  []int // total[i] is the length of pieces[:i] joined
}

var concatSeed = maphash.MakeSeed()

func digest(s string) Result {
	return Result{Int: int64(len(s)), Hash: maphash.String(concatSeed, s)}
}

func init() {
	register(&Family{
		Name:      "concat",
		Help:      "concatenate n short strings",
		Unit:      "bytes",
		N:         2000,
		Agreement: "exact (length and hash of the bytes)",
		Variants: []*Variant{
			{Name: "plus", Help: "s += piece: every step copies everything so far, O(n²) bytes copied", run: func(in any) Result { return digest(concatPlus(in.(piecesInput).pieces)) }},
			{Name: "builder", Help: "strings.Builder: amortized doubling of one buffer", run: func(in any) Result { return digest(concatBuilder(in.(piecesInput).pieces)) }},
			{Name: "grow", Help: "strings.Builder with Grow(total) first: one allocation", run: func(in any) Result {
				p := in.(piecesInput)
				return digest(concatGrow(p.pieces, p.total[len(p.pieces)]))
			}},
			{Name: "join", Help: "strings.Join: the library's own sizing and copy", run: func(in any) Result { return digest(strings.Join(in.(piecesInput).pieces, "")) }},
		},
		input: func(n int, r *rand.Rand) any {
			p := piecesInput{pieces: make([]string, n), total: make([]int, n+1)}
			for i := range p.pieces {
				p.pieces[i] = fillWords[r.IntN(len(fillWords))] + " "
				p.total[i+1] = p.total[i] + len(p.pieces[i])
			}
			return p
		},
		prefix: func(in any, n int) any {
			p := in.(piecesInput)
			return piecesInput{pieces: p.pieces[:n], total: p.total[:n+1]}
		},
		work: func(in any) float64 {
			p := in.(piecesInput)
			return float64(p.total[len(p.pieces)])
		},
		agree: exact,
		ref:   2,
	})
}

func concatPlus(pieces []string) string {
	s := ""
	for _, p := range pieces {
		s += p
	}
	return s
}

func concatBuilder(pieces []string) string {
	var b strings.Builder
	for _, p := range pieces {
		b.WriteString(p)
	}
	return b.String()
}

func concatGrow(pieces []string, total int) string {
	var b strings.Builder
	b.Grow(total)
	for _, p := range pieces {
		b.WriteString(p)
	}
	return b.String()
}
