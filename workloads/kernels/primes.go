package kernels

import (
	"math/bits"
	"math/rand/v2"
)

// The primes family: how many primes are below n. Work is n, the numbers
// examined.

type limit int

func init() {
	register(&Family{
		Name:      "primes",
		Help:      "count the primes below n",
		Unit:      "elements",
		N:         100_000,
		Agreement: "exact",
		Variants: []*Variant{
			{Name: "trial", Help: "trial division of each odd number by odd divisors up to its square root: O(n^1.5/log n)", run: func(in any) Result { return Result{Int: primesTrial(int(in.(limit)))} }},
			{Name: "sieve", Help: "sieve of Eratosthenes over a []bool: O(n log log n)", run: func(in any) Result { return Result{Int: primesSieve(int(in.(limit)))} }},
			{Name: "bitsieve", Help: "sieve of odd numbers only, one bit each: 16× less memory touched", run: func(in any) Result { return Result{Int: primesBitSieve(int(in.(limit)))} }},
		},
		input:  func(n int, _ *rand.Rand) any { return limit(n) },
		prefix: func(_ any, n int) any { return limit(n) },
		work:   func(in any) float64 { return float64(in.(limit)) },
		agree:  exact,
		ref:    2,
	})
}

func primesTrial(n int) int64 {
	if n <= 2 {
		return 0
	}
	count := int64(1) // 2
	for k := 3; k < n; k += 2 {
		prime := true
		for d := 3; d*d <= k; d += 2 {
			if k%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
		}
	}
	return count
}

func primesSieve(n int) int64 {
	if n <= 2 {
		return 0
	}
	composite := make([]bool, n)
	var count int64
	for k := 2; k < n; k++ {
		if composite[k] {
			continue
		}
		count++
		for m := k * k; m < n; m += k {
			composite[m] = true
		}
	}
	return count
}

func primesBitSieve(n int) int64 {
	if n <= 2 {
		return 0
	}
	// Bit i stands for the odd number 2i+1; odd numbers below n: i < half.
	half := n / 2
	words := make([]uint64, (half+63)/64)
	words[0] |= 1 // 1 is not prime
	for i := 1; ; i++ {
		k := 2*i + 1
		if k*k >= n {
			break
		}
		if words[i/64]&(1<<(i%64)) != 0 {
			continue
		}
		for j := (k * k) / 2; j < half; j += k {
			words[j/64] |= 1 << (j % 64)
		}
	}
	composite := 0 // bits past half are never set
	for _, w := range words {
		composite += bits.OnesCount64(w)
	}
	return int64(half-composite) + 1 // + the prime 2
}
