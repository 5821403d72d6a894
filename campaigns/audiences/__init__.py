"""Who a campaign reaches: chosen leads, a saved filter, or the leads a listing fits."""
