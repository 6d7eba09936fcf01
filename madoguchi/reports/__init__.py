"""Reports for supervisors: counter KPIs over the consultation records, the ``/reports`` page and its exports."""
