"""Full-text search. Only this package knows the engine (Whoosh) and the segmenter (rjieba)."""
