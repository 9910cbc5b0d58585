"""glflow's version, a leaf every layer may read (saved files and exports name it)."""
VERSION = "0.1.0"
