"""The gemeente's back office as application services: what the back-office API (and the web
interface) do, on top of the allocation, request and delivery stores and the outbound path.
Always scoped to the calling gemeente."""
