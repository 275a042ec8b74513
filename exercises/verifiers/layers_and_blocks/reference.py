"""The course's answers, as the probes find them in a notebook: what a correct submission sends back."""
import d2lblocks

ANSWERS = {"MySequential": d2lblocks.MySequential, "Parallel": d2lblocks.Parallel,
           "replicate": d2lblocks.replicate, "FixedHiddenMLP": d2lblocks.FixedHiddenMLP}
