from django.contrib.auth import views as auth_views
from django.urls import path

from . import notification_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("account/", views.account, name="account"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(template_name="workspaces/password_reset_done.html"),
         name="password_reset_done"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="workspaces/password_reset_complete.html"), name="password_reset_complete"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("w/<slug:slug>/", views.workspace_home, name="workspace_home"),
    path("w/<slug:slug>/settings/", views.workspace_settings, name="workspace_settings"),
    path("w/<slug:slug>/team/", views.team, name="team"),
    path("w/<slug:slug>/team/<int:member_id>/role/", views.member_role, name="member_role"),
    path("w/<slug:slug>/team/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path("w/<slug:slug>/team/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("w/<slug:slug>/channels/", views.channels, name="channels"),
    path("w/<slug:slug>/channels/connect/<str:network>/", views.channel_connect, name="channel_connect"),
    path("w/<slug:slug>/channels/<int:channel_id>/", views.channel_action, name="channel_action"),
    path("w/<slug:slug>/channels/<int:channel_id>/remove/", views.channel_remove, name="channel_remove"),
    path("w/<slug:slug>/activity/", views.activity, name="activity"),
    *notification_views.urlpatterns,
]
