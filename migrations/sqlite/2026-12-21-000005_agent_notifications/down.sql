DROP TABLE agent_notifications;
