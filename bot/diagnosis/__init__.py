"""Why a module of a company cannot close for a period: blockers, root causes first."""
