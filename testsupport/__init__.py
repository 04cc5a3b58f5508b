"""Code the test suite and the benchmarks run against: stand-ins for services we cannot reach."""
