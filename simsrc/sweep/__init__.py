"""Parameter sweeps: the chunked, resumable batch runner, its chunk store and the results writer."""
