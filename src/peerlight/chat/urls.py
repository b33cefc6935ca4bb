from django.urls import path

from peerlight.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/messages/", views.messages, name="messages"),
    path("<int:conversation_id>/send/", views.send, name="send"),
    path("<int:conversation_id>/read/", views.read, name="read"),
    path("<int:conversation_id>/end/", views.end, name="end"),
    path("<int:conversation_id>/report/", views.report, name="report"),
    path("<int:conversation_id>/escalate/", views.escalate, name="escalate"),
]
