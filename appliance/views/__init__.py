"""Read-only pictures: the public status, the dashboard overview, funders' reports."""
