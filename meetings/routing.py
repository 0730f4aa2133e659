from django.urls import path  # noqa: F401

websocket_urlpatterns: list = [
    # path("ws/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi()) lands with the consumer.
]
