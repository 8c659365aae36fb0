"""The timeline has no background work: buckets are computed per request from indexed asset rows."""
