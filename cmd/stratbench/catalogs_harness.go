package main

import (
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

func init() {
	registerCatalog(catalog{"executors", "how does work reach the cores? (run batch --executor)", func() [][2]string {
		var rows [][2]string
		for _, e := range strategies.Executors {
			rows = append(rows, [2]string{e.Name, e.Help})
		}
		return rows
	}})
	registerCatalog(catalog{"workloads", "batch workloads: what the tasks do (run batch --workload)", func() [][2]string {
		var rows [][2]string
		for _, b := range workloads.Batches() {
			rows = append(rows, [2]string{b.Name, b.Help})
		}
		return rows
	}})
}
