"""Video in, label timeline out. Knows nothing of HTTP, markets or databases."""
