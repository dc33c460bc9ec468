"""hpcagent: OpenMP parallelization of C/C++ hot loops, proven in a sandbox."""

__version__ = "0.1.0"
