"""Where submissions are graded: a local pool of threads and warm kernels (local), or a Dask cluster (dask_cluster)."""
