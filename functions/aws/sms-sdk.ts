/** The AWS End User Messaging SMS client and SendTextMessage; loaded only through functions/aws/sdk.ts. */
export { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2/dist-es/PinpointSMSVoiceV2Client';
export { SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2/dist-es/commands/SendTextMessageCommand';
