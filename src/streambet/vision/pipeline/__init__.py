"""The local engine's runtime pipeline: decoding, detectors, fusion through the taxonomy,
temporal aggregation, activities from pose, the sound track, label filters, and evidence
frames. Nothing here knows which backend, service or caller drives it."""
