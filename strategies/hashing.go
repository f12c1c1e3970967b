package strategies

import (
	"fmt"
	"slices"
)

// Mix64 is the splitmix64 finalizer: a fast bijective 64-bit hash with good
// avalanche, used to place keys and servers on hash rings.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// ---- ring with virtual nodes ----

// Ring is a consistent-hash ring: each server owns VirtualNodes points and a
// key goes to the owner of the first point at or after the key's hash.
// Adding a server moves only the keys that fall on its new points, about
// 1/N of them.
type Ring struct {
	points  []uint64
	servers []int32
}

// NewRing builds a ring of servers 0..n-1 with vnodes points each.
func NewRing(n, vnodes int) *Ring {
	type pt struct {
		h uint64
		s int32
	}
	pts := make([]pt, 0, n*vnodes)
	for s := range n {
		for v := range vnodes {
			pts = append(pts, pt{Mix64(uint64(s)<<32 ^ uint64(v) ^ 0x9e3779b97f4a7c15), int32(s)})
		}
	}
	slices.SortFunc(pts, func(a, b pt) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return int(a.s - b.s)
	})
	r := &Ring{points: make([]uint64, len(pts)), servers: make([]int32, len(pts))}
	for i, p := range pts {
		r.points[i], r.servers[i] = p.h, p.s
	}
	return r
}

// Lookup returns the server owning key.
func (r *Ring) Lookup(key uint64) int {
	h := Mix64(key)
	i, _ := slices.BinarySearch(r.points, h)
	if i == len(r.points) {
		i = 0
	}
	return int(r.servers[i])
}

type hashPolicy struct{ ring *Ring }

func newHash(cfg PolicyConfig) (Policy, error) {
	v := cfg.VirtualNodes
	if v == 0 {
		v = 100
	}
	if v < 1 {
		return nil, fmt.Errorf("policy hash: virtual nodes must be >= 1, got %d", v)
	}
	return &hashPolicy{NewRing(cfg.Servers, v)}, nil
}

func (p *hashPolicy) Pick(_ View, j Job) int { return p.ring.Lookup(j.Key) }

// ---- maglev ----

// Maglev is Google's Maglev consistent-hashing lookup table: each server
// fills table slots in the order of its own permutation, in turns, so the
// table is split almost evenly and a key is one hash and one index away.
type Maglev struct{ table []int32 }

// MaglevSize returns the table size used for n servers: the smallest prime
// at least max(65537, 100·n), as the Maglev paper advises (M ≫ N).
func MaglevSize(n int) int {
	m := max(65537, 100*n)
	for !isPrime(m) {
		m++
	}
	return m
}

func isPrime(m int) bool {
	if m < 2 {
		return false
	}
	for d := 2; d*d <= m; d++ {
		if m%d == 0 {
			return false
		}
	}
	return true
}

// NewMaglev builds the lookup table for servers 0..n-1.
func NewMaglev(n int) *Maglev {
	m := MaglevSize(n)
	offset := make([]uint64, n)
	skip := make([]uint64, n)
	next := make([]uint64, n)
	for s := range n {
		offset[s] = Mix64(uint64(s)^0x6a09e667f3bcc908) % uint64(m)
		skip[s] = Mix64(uint64(s)^0xbb67ae8584caa73b)%uint64(m-1) + 1
	}
	table := make([]int32, m)
	for i := range table {
		table[i] = -1
	}
	filled := 0
	for filled < m {
		for s := range n {
			c := (offset[s] + next[s]*skip[s]) % uint64(m)
			for table[c] >= 0 {
				next[s]++
				c = (offset[s] + next[s]*skip[s]) % uint64(m)
			}
			table[c] = int32(s)
			next[s]++
			filled++
			if filled == m {
				break
			}
		}
	}
	return &Maglev{table}
}

// Lookup returns the server owning key.
func (m *Maglev) Lookup(key uint64) int {
	return int(m.table[Mix64(key)%uint64(len(m.table))])
}

type maglevPolicy struct{ m *Maglev }

func newMaglev(cfg PolicyConfig) (Policy, error) { return &maglevPolicy{NewMaglev(cfg.Servers)}, nil }

func (p *maglevPolicy) Pick(_ View, j Job) int { return p.m.Lookup(j.Key) }

// nginxHash and haproxyHash are the balancers' consistent hashing of the
// key: exact for hash (a ring), the nearest for maglev (a lookup table).
func nginxHash(exact bool) func(int) External {
	return func(int) External {
		return External{"hash $arg_key consistent;", exact, "nginx hashes the key on a ketama ring, not a Maglev table"}
	}
}

func haproxyHash(exact bool) func(int) External {
	return func(int) External {
		return External{"balance url_param key\n    hash-type consistent", exact, "HAProxy hashes the key on a tree of points, not a Maglev table"}
	}
}
