"""`python -m bench [bench_name ...]`: run the benchmarks and print the table."""

import sys

from bench.harness import main

sys.exit(main(sys.argv[1:] or None))
