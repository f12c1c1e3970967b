package main

import (
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

func init() {
	registerCatalog(catalog{"policies", "where does the next job go? (--policy; a parameter is set with --policy-opt POLICY.PARAM=VALUE, in a suite POLICY.PARAM: VALUE)", func() [][2]string {
		var rows [][2]string
		for _, p := range strategies.Policies {
			rows = append(rows, [2]string{p.Name, p.Help})
			for _, prm := range p.Params {
				rows = append(rows, [2]string{"  " + p.Name + "." + prm.Name + "=" + strategies.FormatOpt(prm.Default),
					prm.Help + "; " + prm.Range() + " (" + prm.Source + ")"})
			}
		}
		return rows
	}})
	registerCatalog(catalog{"schedules", "how is a parallel loop split across workers? (run batch --schedule)", func() [][2]string {
		var rows [][2]string
		for _, s := range strategies.Schedules {
			rows = append(rows, [2]string{s.Name, s.Help})
		}
		return rows
	}})
	registerCatalog(catalog{"distributions", "task size / service time distributions (--service, --size); mean 1 unless mean=M", func() [][2]string {
		var rows [][2]string
		for _, d := range workloads.SizeKinds {
			name := d.Name
			if d.Params != "" {
				name += ":" + d.Params
			}
			rows = append(rows, [2]string{name, d.Help})
		}
		return rows
	}})
	registerCatalog(catalog{"arrivals", "arrival processes (sim --arrival)", func() [][2]string {
		var rows [][2]string
		for _, a := range workloads.ArrivalKinds {
			name := a.Name
			if a.Params != "" {
				name += ":" + a.Params
			}
			rows = append(rows, [2]string{name, a.Help})
		}
		return rows
	}})
}
