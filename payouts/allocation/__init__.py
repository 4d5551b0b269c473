"""First come, first served allocation (严格审核、先到先得、额满即止).

- ``engine``: the set-based SQL (window functions) that ranks approved applications;
- ``services``: ``allocation_run`` (one transaction, program row locked), ``award_revoke``;
- ``quota_adjust``: moving slots between units and the city pool, releasing unused slots;
- ``selectors``: per-unit usage and ``allocation_explain``; ``explain``: the sentences.
"""
