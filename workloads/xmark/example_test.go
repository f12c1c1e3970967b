package xmark_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/stratbench/stratbench/workloads/xmark"
)

// Every kernel gives the same answers on a generated document.
func Example() {
	var doc bytes.Buffer
	if _, err := xmark.Generate(&doc, xmark.GenConfig{Scale: 0.001, Seed: 7}); err != nil {
		panic(err)
	}
	for _, k := range xmark.Kernels() {
		a, err := k.RunBytes("doc", doc.Bytes())
		fmt.Printf("%-9s %v %v\n", k.Name, a, err)
	}
	// Output:
	// unmarshal q1="Vera Haddad" q5=4 q6=22 q17=14 q20=preferred:0,standard:6,challenge:8,na:12 <nil>
	// decode    q1="Vera Haddad" q5=4 q6=22 q17=14 q20=preferred:0,standard:6,challenge:8,na:12 <nil>
	// token     q1="Vera Haddad" q5=4 q6=22 q17=14 q20=preferred:0,standard:6,challenge:8,na:12 <nil>
	// rawtoken  q1="Vera Haddad" q5=4 q6=22 q17=14 q20=preferred:0,standard:6,challenge:8,na:12 <nil>
	// fast      q1="Vera Haddad" q5=4 q6=22 q17=14 q20=preferred:0,standard:6,challenge:8,na:12 <nil>
}

// A malformed document gives an error naming the input, the line and the
// byte offset.
func ExampleKernel_Run() {
	f, err := os.Open("testdata/odd.xml")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	k, _ := xmark.Lookup("fast")
	fmt.Println(k.Run("odd.xml", f))
	_, err = k.RunBytes("bad.xml", []byte("<site>\n<people></peeple>\n</site>"))
	fmt.Println(err)
	// Output:
	// q1="Zoë 's <cdata> " q5=1 q6=2 q17=3 q20=preferred:1,standard:0,challenge:1,na:1 <nil>
	// bad.xml:2: element <people> closed by </peeple> (byte offset 15)
}

// One document cut into chunks gives the sequential answers.
func ExampleKernel_RunChunks() {
	doc, err := os.ReadFile("testdata/xmark-traps.xml")
	if err != nil {
		panic(err)
	}
	k, _ := xmark.Lookup("token")
	whole, _ := k.RunBytes("traps", doc)
	chunked, err := k.RunChunks(xmark.Sequential{}, "traps", doc, 8)
	fmt.Println(whole == chunked, err)
	// Output:
	// true <nil>
}
