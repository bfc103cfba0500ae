"""Returns and exchanges: the return session, returnable lines, the policy, the refund planner, the card side and online orders."""
