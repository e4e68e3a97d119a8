"""Performance: benchmarks, load tests, the rate-limit model and check, slow clients."""
