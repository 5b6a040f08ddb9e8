"""Comments (意见) collected on the clauses of a task's draft, and their bulk import."""
