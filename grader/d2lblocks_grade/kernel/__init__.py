"""Running one notebook in one kernel: starting kernels (execute), the warm fork server (fork_server) and
the caps and environment every kernel gets (sandbox)."""
