"""The analyse stage: security scan (checkov) and cost estimate of a saved plan."""
