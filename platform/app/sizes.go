package app

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// DynoSizes maps Heroku dyno sizes to Kubernetes resources. Memory is the dyno's RAM, as
// request and limit (a dyno that exceeds it is stopped; so is a container). CPU is a request
// only: Heroku's Standard dynos share CPU, so no CPU limit is set (limits throttle); the
// request grows with the dyno's CPU share, and Performance dynos, which are dedicated,
// request whole cores.
var DynoSizes = map[string]Resources{
	"eco":               {CPURequest: "100m", MemoryRequest: "512Mi", MemoryLimit: "512Mi"},
	"basic":             {CPURequest: "100m", MemoryRequest: "512Mi", MemoryLimit: "512Mi"},
	"free":              {CPURequest: "100m", MemoryRequest: "512Mi", MemoryLimit: "512Mi"},
	"hobby":             {CPURequest: "100m", MemoryRequest: "512Mi", MemoryLimit: "512Mi"},
	"standard-1x":       {CPURequest: "250m", MemoryRequest: "512Mi", MemoryLimit: "512Mi"},
	"standard-2x":       {CPURequest: "500m", MemoryRequest: "1Gi", MemoryLimit: "1Gi"},
	"performance-m":     {CPURequest: "2", MemoryRequest: "2560Mi", MemoryLimit: "2560Mi"},
	"performance-l":     {CPURequest: "8", MemoryRequest: "14Gi", MemoryLimit: "14Gi"},
	"performance-l-ram": {CPURequest: "4", MemoryRequest: "30Gi", MemoryLimit: "30Gi"},
	"performance-xl":    {CPURequest: "8", MemoryRequest: "62Gi", MemoryLimit: "62Gi"},
	"performance-2xl":   {CPURequest: "16", MemoryRequest: "126Gi", MemoryLimit: "126Gi"},
	"private-s":         {CPURequest: "2", MemoryRequest: "1Gi", MemoryLimit: "1Gi"},
	"private-m":         {CPURequest: "2", MemoryRequest: "2560Mi", MemoryLimit: "2560Mi"},
	"private-l":         {CPURequest: "8", MemoryRequest: "14Gi", MemoryLimit: "14Gi"},
	"shield-s":          {CPURequest: "2", MemoryRequest: "1Gi", MemoryLimit: "1Gi"},
	"shield-m":          {CPURequest: "2", MemoryRequest: "2560Mi", MemoryLimit: "2560Mi"},
	"shield-l":          {CPURequest: "8", MemoryRequest: "14Gi", MemoryLimit: "14Gi"},
}

// firSize is a size of Heroku's Fir generation: dyno-<cores>c-<GB>gb.
var firSize = regexp.MustCompile(`^dyno-([1-9][0-9]?)c-([0-9]+(?:\.[0-9]+)?)gb$`)

// DefaultSize is the size of a process type that names none: Heroku's standard-1x.
const DefaultSize = "standard-1x"

// SizeResources returns the resources of a dyno size (case-insensitive; "1X", "2X", "PX"
// are Heroku's legacy names).
func SizeResources(size string) (Resources, error) {
	s := strings.ToLower(strings.TrimSpace(size))
	switch s {
	case "1x":
		s = "standard-1x"
	case "2x":
		s = "standard-2x"
	case "px":
		s = "performance-l"
	}
	if r, ok := DynoSizes[s]; ok {
		return r, nil
	}
	if m := firSize.FindStringSubmatch(s); m != nil {
		// Heroku's Fir sizes name their cores and memory: dyno-2c-4gb.
		gb, err := strconv.ParseFloat(m[2], 64)
		if err == nil && gb > 0 && gb <= 1024 {
			mem := fmt.Sprintf("%dMi", int(gb*1024))
			return Resources{CPURequest: m[1], MemoryRequest: mem, MemoryLimit: mem}, nil
		}
	}
	known := make([]string, 0, len(DynoSizes))
	for k := range DynoSizes {
		known = append(known, k)
	}
	sort.Strings(known)
	return Resources{}, fmt.Errorf("unknown dyno size %q (known: %s, and Fir's dyno-<cores>c-<memory>gb); or give resources: {cpu, memory} in slipway.yaml", size, strings.Join(known, ", "))
}
