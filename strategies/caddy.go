package strategies

import "fmt"

// HeaderKey is the request header that carries a job's key for a balancer
// that hashes a header and not a query parameter (Caddy 2.6 has no query
// hash): the load generator sends it with the key parameter.
const HeaderKey = "X-Stratbench-Key"

// Caddy's nearest selection policies (Caddy 2.6's reverse_proxy: random,
// random_choose, least_conn, round_robin, header, ...), as the JSON of its
// load_balancing.selection_policy. Its least_conn counts requests in
// flight and breaks ties at random, and random_choose n picks the least
// loaded of n distinct random upstreams.
func caddyRandom(int) External { return External{`{"policy": "random"}`, true, ""} }
func caddyRR(int) External     { return External{`{"policy": "round_robin"}`, true, ""} }
func caddyJSQ(int) External    { return External{`{"policy": "least_conn"}`, true, ""} }
func caddyP2C(int) External    { return External{`{"policy": "random_choose", "choose": 2}`, true, ""} }
func caddyPoD(d int) External {
	if d == 0 {
		d = 2
	}
	return External{fmt.Sprintf(`{"policy": "random_choose", "choose": %d}`, d), true, ""}
}
func caddySED(int) External {
	return External{`{"policy": "least_conn"}`, true, "with equal speeds, shortest expected delay is least connections"}
}
func caddyHash(int) External {
	return External{`{"policy": "header", "field": "` + HeaderKey + `"}`, false,
		"Caddy hashes the key (sent in the " + HeaderKey + " header) by rendezvous hashing, not on a ring or a Maglev table"}
}
