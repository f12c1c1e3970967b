package main

import (
	"github.com/stratbench/stratbench/workloads/kernels"
	"github.com/stratbench/stratbench/workloads/xmark"
)

// The kernel catalog: naive and optimized twins (FAMILY.VARIANT, also batch
// workloads kernel:FAMILY.VARIANT) and the XML kernel ladder (xml.NAME,
// also xml run --kernel NAME and the batch workloads xml:NAME and
// xmldocs:NAME). Importing the packages registers their batch workloads.
func init() {
	registerCatalog(catalog{"kernels", "naive and optimized twins of one computation (run batch --workload kernel:NAME; xml run --kernel for xml.*)", func() [][2]string {
		var rows [][2]string
		for _, f := range kernels.Families() {
			for _, v := range f.Variants {
				rows = append(rows, [2]string{v.FullName(), v.Help})
			}
		}
		for _, k := range xmark.Kernels() {
			rows = append(rows, [2]string{"xml." + k.Name, k.Help})
		}
		return rows
	}})
}
