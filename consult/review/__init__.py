"""Expert review: duplicate groups, consolidated suggestions, the point's report."""
